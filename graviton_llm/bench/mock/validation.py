"""What the mock accepts, checked as vLLM's OpenAI server checks it, and the errors it answers.

A bad request gets vLLM's answer: a 4xx with an OpenAI-style body
``{"error": {"message", "type", "param", "code"}}`` (vllm/entrypoints/openai/protocol.py,
``ErrorResponse``), never a 500 and a traceback. The rules a client meets most:

- the body is a JSON object, with ``messages`` (chat) or ``prompt`` (completions) of the right
  types, and typed ``stream``, ``stream_options``, ``max_tokens`` (400 ``BadRequestError``);
- a ``model`` other than the one served is a 404 ``NotFoundError``
  ("The model `x` does not exist.");
- ``stream_options`` only with ``stream: true``;
- ``max_tokens`` (or ``max_completion_tokens``) at least 1 (vLLM's ``SamplingParams``), and
  prompt + ``max_tokens`` within the model length: vLLM's message is "'max_tokens' or
  'max_completion_tokens' is too large: M. This model's maximum context length is L tokens and
  your request has P input tokens (M > L - P)."
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import MockConfig


class RequestError(Exception):
    """A request the mock refuses, with the status and OpenAI error type vLLM would use."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        kind: str = "BadRequestError",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.param = param

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": str(self),
                "type": self.kind,
                "param": self.param,
                "code": self.status,
            }
        }


@dataclass(frozen=True, slots=True)
class Generation:
    """A valid request: what to generate and how to send it."""

    stream: bool
    include_usage: bool
    prompt_tokens: int
    max_tokens: int
    """Tokens the answer may have: asked, or the mock's default, within the model length."""


def read_request(
    payload: Any, chat: bool, config: MockConfig, count_tokens: Callable[[str], int]
) -> Generation:
    """Check ``payload`` and say what to generate; raises ``RequestError``."""
    if type(payload) is not dict:
        raise RequestError("the request body must be a JSON object")
    model = payload.get("model")
    if model is not None:
        if type(model) is not str:
            raise RequestError("model must be a string", param="model")
        if model != config.model:
            raise RequestError(
                f"The model `{model}` does not exist.", 404, "NotFoundError", "model"
            )
    texts = _messages(payload) if chat else _prompt(payload)
    prompt_tokens = sum(count_tokens(t) for t in texts if isinstance(t, str)) + sum(
        1 for t in texts if type(t) is int
    )
    stream = _optional(payload, "stream", bool, False)
    options = _optional(payload, "stream_options", dict, None)
    include_usage = False
    if options is not None:
        if not stream:
            raise RequestError(
                "Stream options can only be defined when `stream=True`.", param="stream_options"
            )
        include_usage = _optional(options, "include_usage", bool, False)
    _optional(payload, "ignore_eos", bool, False)
    requested = _max_tokens(payload)
    limit = config.max_model_len
    if prompt_tokens >= limit:
        raise RequestError(
            f"This model's maximum context length is {limit} tokens. However, your request "
            f"has {prompt_tokens} input tokens. Please reduce the length of the input.",
            param="messages" if chat else "prompt",
        )
    room = limit - prompt_tokens
    if requested is not None and requested > room:
        raise RequestError(
            f"'max_tokens' or 'max_completion_tokens' is too large: {requested}. This model's "
            f"maximum context length is {limit} tokens and your request has {prompt_tokens} "
            f"input tokens ({requested} > {limit} - {prompt_tokens}).",
            param="max_tokens",
        )
    max_tokens = requested if requested is not None else min(config.default_max_tokens, room)
    return Generation(stream, include_usage, prompt_tokens, max_tokens)


def _optional(obj: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = obj.get(key)
    if value is None:
        return default
    if type(value) is not kind:
        raise RequestError(f"{key} must be a {kind.__name__}, got {value!r:.40}", param=key)
    return value


def _max_tokens(payload: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = payload.get(key)
        if value is None:
            continue
        if type(value) is not int:
            raise RequestError(f"{key} must be an integer, got {value!r:.40}", param=key)
        if value < 1:
            raise RequestError(f"max_tokens must be at least 1, got {value}.", param=key)
        return value
    return None


def _messages(payload: dict[str, Any]) -> list[Any]:
    messages = payload.get("messages")
    if type(messages) is not list or not messages:
        raise RequestError("messages must be a non-empty list", param="messages")
    texts: list[Any] = []
    for message in messages:
        if type(message) is not dict or type(message.get("role")) is not str:
            raise RequestError("each message must be an object with a role", param="messages")
        content = message.get("content")
        if content is None or type(content) is str:
            texts.append(content or "")
        elif type(content) is list:
            for part in content:
                if type(part) is not dict:
                    raise RequestError("a content part must be an object", param="messages")
                text = part.get("text")
                if text is not None and type(text) is not str:
                    raise RequestError("a content part's text must be a string", param="messages")
                texts.append(text or "")
        else:
            raise RequestError("message content must be a string or a list", param="messages")
    return texts


def _prompt(payload: dict[str, Any]) -> list[Any]:
    prompt = payload.get("prompt")
    if type(prompt) is str:
        return [prompt]
    if (
        type(prompt) is list
        and prompt
        and (all(type(p) is str for p in prompt) or all(type(p) is int for p in prompt))
    ):
        return prompt
    raise RequestError(
        "prompt must be a string, a list of strings or a list of token ids", param="prompt"
    )
