"""A stack's config as a program under test sees it, `secure:` values included.

A stack file's `secure:` value (`pulumi config set --secret`) is ciphertext only the stack's
secrets provider can open, so an offline run never has the secret: the value becomes a
placeholder and its key is marked secret, so `pulumi.Config.get_secret`/`require_secret` return a
secret Output as under `pulumi up` (pulumi.runtime.set_all_config's secret keys, the list
`pulumi.runtime.is_config_secret` reads). A `secure:` value may sit inside an object value too
(structured config); the whole key is then secret, as Pulumi treats it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# A stack file's encrypted value: `key: {secure: <ciphertext>}`.
SECURE_KEY = "secure"


def secret_placeholder(key: str) -> str:
    """What a `secure:` value reads as offline: plainly not the secret, and a well-formed SSM
    parameter name, so a secret parameter name (the commonest secret a stack passes to a
    cluster) passes the checks made at deploy time."""
    return "/graviton-llm-plan/secret/" + re.sub(r"[^A-Za-z0-9_.-]", "-", key)


def without_secrets(value: Any, placeholder: str) -> tuple[Any, bool]:
    """The value with each `{secure: ...}` replaced by the placeholder, and whether any was."""
    if isinstance(value, dict):
        if set(value) == {SECURE_KEY}:
            return placeholder, True
        found = False
        out = {}
        for key, item in value.items():
            out[key], secret = without_secrets(item, placeholder)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [without_secrets(item, placeholder) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def engine_config(
    config: Mapping[str, Any], secret_keys: Iterable[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """("namespace:key" -> the string the engine hands the program, the secret keys): objects
    JSON-encoded as the CLI does, each `secure:` value a placeholder under a secret key."""
    values: dict[str, str] = {}
    secret = list(dict.fromkeys(secret_keys))
    for key, value in config.items():
        plain, found = without_secrets(value, secret_placeholder(key))
        values[key] = plain if isinstance(plain, str) else json.dumps(plain)
        if found and key not in secret:
            secret.append(key)
    return values, secret
