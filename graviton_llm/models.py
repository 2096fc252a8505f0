"""Model id lookup: which real model a user means, and why an id that does not exist is wrong."""

from __future__ import annotations

import re

from .catalog import KNOWN_MODELS, ModelInfo

_SUFFIXES = ("-instruct", "-hf")


def _key(model_id: str) -> str:
    name = model_id.rsplit("/", 1)[-1].lower()
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    # Hugging Face renamed "Meta-Llama-3.1-8B" to "Llama-3.1-8B"; accept both spellings.
    if re.match(r"meta-llama-3\.\d", name):
        name = name.removeprefix("meta-")
    return name


_BY_KEY: dict[str, ModelInfo] = {_key(m.id): m for m in KNOWN_MODELS.values()}


def resolve_model(model_id: str) -> ModelInfo | None:
    """The known model an id names, with or without org prefix and -Instruct suffix."""
    key = _key(model_id)
    # "Llama-3.2-11B" can only mean the vision model: there is no text-only 11B in 3.2.
    return _BY_KEY.get(key) or _BY_KEY.get(f"{key}-vision")


_LLAMA = re.compile(r"llama-(\d(?:\.\d)?)-(\d+)b")


def _llama_generation(info: ModelInfo) -> tuple[str, str] | None:
    match = _LLAMA.search(_key(info.id))
    return (match.group(1), match.group(2)) if match else None


def nonexistent_model_hint(model_id: str) -> str | None:
    """Why a Llama id that looks real names no released model, or None if it is not such an id.

    The blog's "Llama 3.2 70B" is the case in point: 3.2 shipped 1B/3B text and 11B/90B vision.
    """
    match = _LLAMA.search(_key(model_id))
    if match is None or resolve_model(model_id) is not None:
        return None
    generation, size = match.groups()
    sizes: dict[str, list[str]] = {}
    for info in KNOWN_MODELS.values():
        parsed = _llama_generation(info)
        if parsed is None:
            continue
        gen, gen_size = parsed
        label = f"{gen_size}B" + ("-Vision" if info.vision else "")
        sizes.setdefault(gen, []).append(label)
    if generation not in sizes:
        return None
    same_size = [
        info.id.rsplit("/", 1)[-1]
        for info in KNOWN_MODELS.values()
        if (parsed := _llama_generation(info)) and parsed[1] == size and parsed[0] != generation
    ]
    hint = f"Llama {generation} has no {size}B model (it has {', '.join(sizes[generation])})"
    if same_size:
        hint += f"; a {size}B Llama is one of: {', '.join(same_size)}"
    return hint


def known_model_ids() -> list[str]:
    return sorted(KNOWN_MODELS)
