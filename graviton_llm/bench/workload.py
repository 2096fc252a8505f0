"""What to send: prompts and their lengths, reproducible from one seed (arrival times are in
``arrivals``).

Pure and synchronous, so the load generator only has to send what this module decided.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

# Synthetic prompts are words drawn from this list; a word-level tokenizer (and the mock
# server) counts each as one token, so ``--input-len`` is exact there.
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


@dataclass(frozen=True)
class LengthSpec:
    """A token count: fixed (``128``) or uniform over an inclusive range (``64:256``)."""

    low: int
    high: int

    @classmethod
    def parse(cls, text: str | int) -> LengthSpec:
        """``"128"`` -> fixed 128; ``"64:256"`` -> uniform on [64, 256]."""
        raw = str(text).strip()
        try:
            if ":" in raw:
                low_s, high_s = raw.split(":", 1)
                low, high = int(low_s), int(high_s)
            else:
                low = high = int(raw)
        except ValueError:
            raise ValueError(
                f"length {text!r}: expected N (fixed) or LOW:HIGH (uniform), e.g. 128 or 64:256"
            ) from None
        if low < 1 or high < low:
            raise ValueError(f"length {text!r}: need 1 <= LOW <= HIGH")
        return cls(low, high)

    def draw(self, rng: random.Random) -> int:
        return self.low if self.low == self.high else rng.randint(self.low, self.high)

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}:{self.high}"


@dataclass(frozen=True)
class Prompt:
    text: str
    max_tokens: int


def load_dataset(path: Path) -> list[dict[str, object]]:
    """JSONL, one object a line: ``{"prompt": "..."}`` and optionally ``"max_tokens"``."""
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
                raise ValueError(f'{path}:{number}: expected an object with a "prompt" string')
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
    ) -> None:
        self.input_len = input_len
        self.output_len = output_len
        self.seed = seed
        self.dataset = dataset

    def prompt(self, index: int) -> Prompt:
        rng = random.Random(self.seed * 1_000_003 + index)
        if self.dataset:
            row = self.dataset[index % len(self.dataset)]
            max_tokens = row.get("max_tokens")
            return Prompt(
                text=str(row["prompt"]),
                max_tokens=int(max_tokens) if max_tokens else self.output_len.draw(rng),  # type: ignore[call-overload]
            )
        n_in = self.input_len.draw(rng)
        # A distinct first word per request defeats prefix caching, as random prompts do.
        words = [f"r{index}", *rng.choices(_VOCABULARY, k=n_in - 1)]
        return Prompt(text=" ".join(words), max_tokens=self.output_len.draw(rng))
