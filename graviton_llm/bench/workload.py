"""What to send: prompts and their lengths, reproducible from one seed.

Pure and synchronous, so the load generator only has to send what this module decided.
With a tokenizer, a synthetic prompt has exactly ``--input-len`` tokens by that tokenizer
(vLLM's random dataset does the same: decode, re-encode, adjust; vLLM
benchmarks/datasets.py). Without one, ``--input-len`` counts words, and the prompt's token
count is an estimate.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from ..safeio.bounds import require_number
from ..safeio.files import parse_json, read_text
from .records import Prompt
from .tokens import Tokenizer

# Synthetic prompts are words drawn from this list; a word-level tokenizer (and the mock
# server without a tokenizer) counts each as one token.
_WORDS = (
    "the of and to in is was for on are with as at be by this from or have an they which one "
    "you were her all she there would their we him been has when who will more no if out so "
    "said what up its about into than them can only other new some could time these two may "
    "then do first any my now such like our over man me even most made after also did many "
    "before must through back years where much your way well down should because each just "
    "those people how too little state good very make world still own see men work long get "
    "here between both life being under never day same another know while last might us great"
)
_VOCABULARY = tuple(_WORDS.split())
# ASCII digits only: int() also reads "1_000" and other scripts' digits.
_LENGTH = re.compile(r"([0-9]{1,15})(?::([0-9]{1,15}))?", re.ASCII)
MAX_TOKENS = 1 << 20
"""The largest --input-len, --output-len or dataset max_tokens: more than any model's context
(ours)."""


@dataclass(frozen=True)
class LengthSpec:
    """A token count: fixed (``128``) or uniform over an inclusive range (``64:256``)."""

    low: int
    high: int

    @classmethod
    def parse(cls, text: str | int) -> LengthSpec:
        """``"128"`` -> fixed 128; ``"64:256"`` -> uniform on [64, 256]; at most MAX_TOKENS (a
        billion-token prompt would take the client hours to build, and no server reads it)."""
        found = _LENGTH.fullmatch(str(text).strip())
        if found is None:
            raise ValueError(
                f"length {text!r}: expected N (fixed) or LOW:HIGH (uniform), e.g. 128 or 64:256"
            )
        low = int(found.group(1))
        high = low if found.group(2) is None else int(found.group(2))
        if not 1 <= low <= high <= MAX_TOKENS:
            raise ValueError(f"length {text!r}: need 1 <= LOW <= HIGH <= {MAX_TOKENS:,}")
        return cls(low, high)

    def draw(self, rng: random.Random) -> int:
        return self.low if self.low == self.high else rng.randint(self.low, self.high)

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}:{self.high}"


MAX_DATASET_BYTES = 1024 * 2**20  # ours: a million prompts of a few hundred words


def load_dataset(path: Path) -> list[dict[str, object]]:
    """JSONL, one object a line: ``{"prompt": "..."}`` and optionally ``"max_tokens"``."""
    rows: list[dict[str, object]] = []
    text = read_text(path, limit=MAX_DATASET_BYTES, what="a JSONL dataset")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row = parse_json(line, where=f"{path}:{number}", max_depth=8)
        if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
            raise ValueError(f'{path}:{number}: expected an object with a "prompt" string')
        max_tokens = row.get("max_tokens")
        if max_tokens is not None:
            require_number(
                max_tokens,
                f"{path}:{number}: max_tokens",
                minimum=1,
                maximum=MAX_TOKENS,
                integer=True,
            )
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no prompts")
    return rows


class PromptSource:
    """The i-th prompt of a run, the same for the same seed whatever the load mode."""

    def __init__(
        self,
        input_len: LengthSpec,
        output_len: LengthSpec,
        seed: int,
        dataset: list[dict[str, object]] | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.input_len = input_len
        self.output_len = output_len
        self.seed = seed
        self.dataset = dataset
        self.tokenizer = tokenizer

    def prompt(self, index: int) -> Prompt:
        rng = random.Random(self.seed * 1_000_003 + index)
        tokenizer = self.tokenizer
        if self.dataset:
            row = self.dataset[index % len(self.dataset)]
            text = str(row["prompt"])
            max_tokens = row.get("max_tokens")
            return Prompt(
                text=text,
                max_tokens=max_tokens if type(max_tokens) is int else self.output_len.draw(rng),
                tokens=tokenizer.count(text) if tokenizer else None,
            )
        n_in = self.input_len.draw(rng)
        max_tokens = self.output_len.draw(rng)
        # A distinct first word per request defeats prefix caching, as random prompts do.
        words = [f"r{index}", *rng.choices(_VOCABULARY, k=n_in - 1)]
        if tokenizer is None:
            return Prompt(text=" ".join(words), max_tokens=max_tokens)
        text, tokens = _exact_length(tokenizer, words, n_in, rng)
        return Prompt(text=text, max_tokens=max_tokens, tokens=tokens)


def _exact_length(
    tokenizer: Tokenizer, words: list[str], n: int, rng: random.Random
) -> tuple[str, int]:
    """Text of exactly ``n`` tokens by ``tokenizer``, made from ``words`` (extended as needed).

    Cutting the token ids at ``n`` and decoding can re-encode to a different length (two
    pieces merge across the cut), so the cut moves by the difference until it holds; in the
    rare case it never does, the closest text is kept with its true count.
    """
    ids = tokenizer.encode(" ".join(words))
    while len(ids) < n + 8:
        words.extend(rng.choices(_VOCABULARY, k=n + 8 - len(ids)))
        ids = tokenizer.encode(" ".join(words))
    cut = n
    text, count = "", 0
    for _ in range(10):
        text = tokenizer.decode(ids[:cut])
        count = tokenizer.count(text)
        if count == n or not 1 <= cut + n - count <= len(ids):
            break
        cut += n - count
    return text, count
