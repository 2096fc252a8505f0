"""The real AWS CLI (v1, from this virtualenv) without its start-up cost, for the sandbox.

Importing awscli and botocore takes most of an `aws` call's time (about 0.4 s of 0.5 s here),
and a boot makes many. This server imports them once, then forks a child per call; the child
takes the caller's stdin/stdout/stderr (passed over the Unix socket), working directory,
environment and argv, and runs the CLI's own `main()` exactly as `aws` would. The aws shim
(tool.py) talks to it when $GLT_AWS_SERVER names its socket, and runs the CLI itself otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import traceback


def serve(path: str) -> None:
    import awscli.clidriver  # noqa: F401  the cost, paid once

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            _child(connection)  # never returns
        connection.close()


def _child(connection: socket.socket) -> None:
    import awscli.clidriver

    code = 1
    try:
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        request = json.loads(message)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        # What importing awscli set (its data path), then the caller's environment.
        data_path = os.environ["AWS_DATA_PATH"]
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["AWS_DATA_PATH"] = data_path
        sys.argv = ["aws", *request["argv"]]
        code = awscli.clidriver.main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(str(code).encode())
        connection.close()
        os._exit(0)


def call(path: str, argv: list[str], env: dict[str, str]) -> int:
    """Run `aws argv` in the server with this process's stdio, cwd and ``env``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        request = json.dumps({"argv": argv, "env": env, "cwd": os.getcwd()}).encode()
        socket.send_fds(connection, [request], [0, 1, 2])
        answer = b""
        while chunk := connection.recv(16):
            answer += chunk
    return int(answer or b"1")


if __name__ == "__main__":
    serve(sys.argv[1])
