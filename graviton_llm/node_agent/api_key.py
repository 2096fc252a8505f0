"""fetch-api-key, the vLLM unit's ExecStartPre: the API key from SSM Parameter Store into a
root-only file on tmpfs (/run), read again at every (re)start so a rotated key needs only a
restart. With a pointer, the key's parameter name is read from it first and never printed: the
AWS CLI's own error text, which quotes it, is reduced to its error code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from .model_store_weights import on_node
from .paths import API_KEY_FILE

FINAL = ("ParameterNotFound", "AccessDenied", "InvalidKeyId")
ATTEMPTS = 5


class KeyNotRead(Exception):
    pass


def _say(message: str) -> None:
    print(f"graviton-llm: {message}", file=sys.stderr, flush=True)


def read_parameter(name: str, shown: str) -> str:
    """The decrypted value of the SSM parameter ``name``; messages say ``shown``, never
    ``name`` when they differ."""
    for attempt in range(1, ATTEMPTS + 1):
        result = subprocess.run(
            ["aws", "ssm", "get-parameter", "--with-decryption", "--name", name,
             "--query", "Parameter.Value", "--output", "text"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode == 0:
            if not result.stdout.strip():
                _say(f"SSM parameter {shown} is empty")
                raise KeyNotRead(shown)
            return result.stdout
        if name == shown:
            sys.stderr.write(result.stderr)
        else:
            code = re.search(r"\([A-Za-z]+\)", result.stderr)
            _say(f"reading the SSM parameter {shown} failed: {code.group(0) if code else ''}")
        if any(word in result.stderr for word in FINAL):
            break
        time.sleep(attempt * 2 * float(os.environ.get("GRAVITON_LLM_BACKOFF_SECONDS", "1")))
    _say(
        f"cannot read the API key from SSM parameter {shown} (it must exist as a SecureString "
        "the node role may read, ssm:GetParameter + kms:Decrypt)"
    )
    raise KeyNotRead(shown)


def fetch_api_key(source: dict[str, Any]) -> int:
    """``source``: the config's api_key ({"parameter", "pointer"})."""
    key_file = on_node(API_KEY_FILE)
    parameter = source["parameter"]
    try:
        if source["pointer"]:
            name = read_parameter(parameter, parameter).strip()
            value = read_parameter(name, f"named in {parameter}")
        else:
            value = read_parameter(parameter, parameter)
    except KeyNotRead:
        return 1
    os.makedirs(os.path.dirname(key_file), mode=0o700, exist_ok=True)
    # Created root-only (mkstemp: 0600) and renamed into place: never readable by others.
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(key_file))
    with os.fdopen(fd, "w") as out:
        out.write(value)
    os.replace(temporary, key_file)
    return 0
