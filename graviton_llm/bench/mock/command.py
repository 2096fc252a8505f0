"""``graviton-llm mock-server``: parse the options, check them, serve until Ctrl-C."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from ...safeio.exits import ExitCode
from ...safeio.terminal import console_for_this_run, styled

console = console_for_this_run()


def mock_server(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    model: str = typer.Option("mock-llm", help="Model id to serve (others get a 404)."),
    ttft_ms: float = typer.Option(50.0, help="Time to first token after admission (ms)."),
    itl_ms: float = typer.Option(10.0, help="Time between tokens (ms); 0 sends all at once."),
    output_len: int = typer.Option(None, help="Tokens per answer (default: max_tokens)."),
    max_model_len: int = typer.Option(8192, help="Context length: prompt + max_tokens limit."),
    max_num_seqs: int = typer.Option(256, help="Sequences generated at once; the rest queue."),
    tokens_per_chunk: int = typer.Option(1, help="Tokens per streamed chunk."),
    reasoning_tokens: int = typer.Option(
        0, help="Chat: stream the first N tokens of each answer as reasoning deltas."
    ),
    reasoning_field: str = typer.Option(
        "reasoning", help="Delta field of reasoning: reasoning or reasoning_content."
    ),
    tool_call: bool = typer.Option(False, help="Chat: answer with a streamed tool call."),
    usage: bool = typer.Option(True, help="Send usage when asked (--no-usage: never)."),
    tokenizer: Annotated[
        Path | None, typer.Option(help="tokenizer.json to count prompt tokens with.")
    ] = None,
    error_rate: float = typer.Option(0.0, help="Fraction answered with --error-status."),
    error_status: int = typer.Option(500, help="Status code of injected errors."),
    reset_rate: float = typer.Option(0.0, help="Fraction of streams reset mid-answer."),
    malformed_rate: float = typer.Option(0.0, help="Fraction of streams with a non-JSON chunk."),
    stall_rate: float = typer.Option(0.0, help="Fraction of streams that stall after 1 token."),
    stall_s: float = typer.Option(3600.0, help="How long a stalled stream stalls (s)."),
    seed: int = typer.Option(0, help="Seed for fault selection."),
    hold_until_in_flight: int = typer.Option(
        0, help="Hold every request until this many are in flight at once (0: never)."
    ),
) -> None:
    """A vLLM-like OpenAI server with a known token schedule, queueing and fault injection."""
    from ..extras import require_extra

    require_extra("mock-server", ["aiohttp", *["tokenizers"] * (tokenizer is not None)])
    import asyncio

    from .config import MockConfig
    from .running import serve_forever

    config = MockConfig(
        model=model,
        ttft_s=ttft_ms / 1000.0,
        itl_s=itl_ms / 1000.0,
        output_len=output_len,
        max_model_len=max_model_len,
        max_num_seqs=max_num_seqs,
        tokens_per_chunk=tokens_per_chunk,
        reasoning_tokens=reasoning_tokens,
        reasoning_field=reasoning_field,
        tool_call=tool_call,
        send_usage=usage,
        tokenizer=tokenizer,
        error_rate=error_rate,
        error_status=error_status,
        reset_rate=reset_rate,
        malformed_rate=malformed_rate,
        stall_rate=stall_rate,
        stall_s=stall_s,
        seed=seed,
        hold_until_in_flight=hold_until_in_flight,
    )
    problems = config.problems()
    if not host.strip():
        problems.append(
            f"--host {host!r} would listen on every interface; give an address (127.0.0.1, "
            "or 0.0.0.0 to listen on all of them on purpose)"
        )
    if problems:
        console.print(styled(("error", "bold red"), f": {'; '.join(problems)}"))
        raise typer.Exit(ExitCode.BAD_INPUT)
    console.print(
        f"mock server on http://{host}:{port}  model {model}, TTFT {ttft_ms:g} ms, "
        f"ITL {itl_ms:g} ms, max-num-seqs {max_num_seqs}  (Ctrl-C stops)"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_forever(config, host, port))
    except ValueError as error:  # a --tokenizer that is not a tokenizer.json
        console.print(styled(("error", "bold red"), f": {error}"))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except OSError as error:
        # Port in use, an address this machine does not have, a privileged port: bad input.
        console.print(
            styled(("error", "bold red"), f": cannot listen on {host}:{port}: {error.strerror}")
        )
        raise typer.Exit(ExitCode.BAD_INPUT) from None
