"""The rollout's AWS credentials: the same settings the stack's other resources deploy with.

The AWS provider reads `aws:region`, `aws:profile`, `aws:assumeRoles` (and static keys) from the
stack config; a resource given an explicit `aws.Provider` uses that provider's settings
instead. The rollout's dynamic provider runs in its own process with boto3, which knows none of
this: left alone it takes the default credential chain of the deploying machine and could
start the refresh in another account, or with no credentials at all. So the dynamic provider
is `configure`d with the whole stack config (pulumi/pulumi#17673) and the component hands it an
explicit provider's region, profile and keys; `session` builds boto3's session from them,
assuming each role in order as the AWS provider does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

SESSION_NAME = "graviton-llm-rollout"
# Settings whose values are credentials: kept secret in the resource's inputs, never returned
# in its outputs (the engine would store them there in plain text under another name).
CREDENTIAL_KEYS = ("access_key", "secret_key", "token")
_DURATION = re.compile(r"(\d+)([hms])")


def duration_seconds(text: Any) -> int | None:
    """The AWS provider's assume-role `duration` ("1h", "15m", "1h30m") in seconds."""
    if text is None or text == "":
        return None
    if isinstance(text, int | float):
        return int(text)
    parts = _DURATION.findall(str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"assume role duration {text!r}: a duration such as 1h or 15m")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def _parsed(value: Any) -> Any:
    """Config values reach a provider as strings; objects and lists as JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def assume_roles(value: Any) -> list[dict[str, Any]]:
    """`aws:assumeRoles` (a list) or the older `aws:assumeRole` (one), as role settings."""
    value = _parsed(value)
    roles = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    found = []
    for role in roles:
        arn = role.get("roleArn") or role.get("role_arn")
        if not arn:
            continue
        found.append(
            {
                "role_arn": arn,
                "session_name": role.get("sessionName") or role.get("session_name"),
                "external_id": role.get("externalId") or role.get("external_id"),
                "duration_seconds": duration_seconds(
                    role.get("duration") or role.get("durationSeconds")
                ),
            }
        )
    return found


def settings_from_config(get: Callable[[str], Any]) -> dict[str, Any]:
    """The AWS provider's settings in the stack config (``get`` is the dynamic provider's
    `req.config.get`, keys namespaced as `aws:region`)."""
    return {
        "region": get("aws:region"),
        "profile": get("aws:profile"),
        "assume_roles": assume_roles(get("aws:assumeRoles") or get("aws:assumeRole")),
        "access_key": get("aws:accessKey"),
        "secret_key": get("aws:secretKey"),
        "token": get("aws:token"),
    }


def merged(stack: dict[str, Any], explicit: dict[str, Any] | None) -> dict[str, Any]:
    """An explicit provider replaces the stack config's provider settings, as it does for the
    AWS provider's own resources (its unset settings are not filled from the config)."""
    return dict(explicit) if explicit else dict(stack)


def session(settings: dict[str, Any], region: str) -> Any:
    """A boto3 session signing as the AWS provider would: profile or static keys, then each
    assumed role in order (a chain, as `assumeRoles` is)."""
    import boto3

    current = boto3.Session(
        profile_name=settings.get("profile") or None,
        aws_access_key_id=settings.get("access_key") or None,
        aws_secret_access_key=settings.get("secret_key") or None,
        aws_session_token=settings.get("token") or None,
        region_name=region,
    )
    for role in settings.get("assume_roles") or []:
        request = {
            "RoleArn": role["role_arn"],
            "RoleSessionName": role.get("session_name") or SESSION_NAME,
        }
        if role.get("external_id"):
            request["ExternalId"] = role["external_id"]
        if role.get("duration_seconds"):
            request["DurationSeconds"] = int(role["duration_seconds"])
        credentials = current.client("sts").assume_role(**request)["Credentials"]
        current = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
    return current


def without_credentials(settings: dict[str, Any] | None) -> dict[str, Any] | None:
    """What may be stored in the resource's outputs."""
    if settings is None:
        return None
    return {k: v for k, v in settings.items() if k not in CREDENTIAL_KEYS}
