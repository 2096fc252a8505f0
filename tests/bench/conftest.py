"""Shared harness: a mock OpenAI-compatible server on 127.0.0.1 (ephemeral port) per test."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.load_generator import BenchResult, run_benchmark
from graviton_llm.bench.mock import MockConfig, RunningMock, mock_in_thread
from graviton_llm.bench.records import RequestRecord
from graviton_llm.bench.workload import _VOCABULARY


@pytest.fixture(autouse=True)
def _quick_gil_handoff() -> Iterator[None]:
    """The mock runs in a thread of the test process. With the default 5 ms GIL switch
    interval, a token the server thread is ready to write can wait up to 5 ms for the client
    thread to yield: that is test-harness jitter, not client error. A separate-process mock
    (the benchmark script) has no such coupling."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0001)
    yield
    sys.setswitchinterval(previous)


@pytest.fixture
def mock_server() -> Iterator[Callable[..., RunningMock]]:
    """Factory: ``mock_server(ttft_s=..., itl_s=...)`` starts a mock, stopped after the test."""
    with ExitStack() as stack:

        def start(**config: object) -> RunningMock:
            return stack.enter_context(mock_in_thread(MockConfig(**config)))  # type: ignore[arg-type]

        yield start


def run(config: BenchConfig, hang_guard_s: float = 60.0) -> BenchResult:
    """Run the benchmark; a run still going after ``hang_guard_s`` fails the test (a hang, not
    a slow machine: every run here needs well under a second of work)."""
    return asyncio.run(asyncio.wait_for(run_benchmark(config), hang_guard_s))


@pytest.fixture(scope="session")
def tokenizer_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WordPiece ``tokenizer.json`` under which the mock's text is exactly one token per
    piece (" computer" -> comput ##er) and prompt words are one token each ("r12" -> r ##1
    ##2): every count in a test against it is known."""
    pieces = {"The", "quantum", "comput", "solves", "hard", "problem", "quickly", ".", "er", "s"}
    words = {*_VOCABULARY, *pieces, "##er", "##s", "r", "lookup", *(f"##{d}" for d in "0123456789")}
    vocab = {word: i for i, word in enumerate(["[UNK]", *sorted(words)])}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    path = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def peak_overlap(records: list[RequestRecord]) -> int:
    """Most client-side [send, end] intervals open at one instant."""
    events = sorted([(r.send_time, 1) for r in records] + [(r.end_time, -1) for r in records])
    open_now = peak = 0
    for _, step in events:  # at a tie the end (-1) sorts first: half-open intervals
        open_now += step
        peak = max(peak, open_now)
    return peak


def dominates(later: list[float], earlier: list[float]) -> bool:
    """Sorted elementwise >=: true whenever each stamp in `later` follows its own stamp in
    `earlier` (whichever request is which)."""
    return len(later) == len(earlier) and all(
        a >= b for a, b in zip(sorted(later), sorted(earlier), strict=True)
    )
