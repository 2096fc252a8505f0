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

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

SESSION_NAME = "graviton-llm-rollout"
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


CREDENTIAL_SOURCE = ("profile", "access_key", "secret_key", "token")


def merged(stack: dict[str, Any], explicit: dict[str, Any] | None) -> dict[str, Any]:
    """The settings the rollout signs with: the stack config's, with what an explicit provider
    sets on top. Its credentials (a profile or keys) replace the stack's as a whole, never
    mixed with them; its roles, which pulumi-aws does not expose to a program, come from the
    stack's `aws:assumeRoles`, chained from its credentials (docs/teams.md). Stacks deployed
    before kept `assume_roles: []` for an explicit provider: empty means the stack's."""
    settings = dict(stack)
    if not explicit:
        return settings
    if any(explicit.get(key) for key in CREDENTIAL_SOURCE):
        settings.update({key: explicit.get(key) for key in CREDENTIAL_SOURCE})
    if explicit.get("assume_roles"):
        settings["assume_roles"] = explicit["assume_roles"]
    return settings


def _given(credentials: Any) -> Any:
    """A credential provider that answers with credentials built here (an assumed role).
    Defined when first needed: botocore loads only where the rollout signs, not in `plan`."""
    from botocore.credentials import CredentialProvider

    class Given(CredentialProvider):  # type: ignore[misc]
        METHOD = "assume-role"
        CANONICAL_NAME = "graviton-llm-assume-role"

        def load(self) -> Any:
            return credentials

    return Given()


def _assume_role_fetcher(
    source: Any, role: dict[str, Any], region: str
) -> Callable[[], dict[str, Any]]:
    """What botocore calls whenever the role's credentials near their expiry: AssumeRole again,
    signed by ``source`` (a botocore session, itself refreshing when it is a role)."""
    request = {
        "RoleArn": role["role_arn"],
        "RoleSessionName": role.get("session_name") or SESSION_NAME,
    }
    if role.get("external_id"):
        request["ExternalId"] = role["external_id"]
    if role.get("duration_seconds"):
        request["DurationSeconds"] = int(role["duration_seconds"])

    def fetch() -> dict[str, Any]:
        sts = source.create_client("sts", region_name=region)
        credentials = sts.assume_role(**request)["Credentials"]
        expiry = credentials["Expiration"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else str(expiry),
        }

    return fetch


def session(
    settings: dict[str, Any], region: str, *, now: Callable[[], datetime.datetime] | None = None
) -> Any:
    """A boto3 session signing as the AWS provider would: profile or static keys, then each
    assumed role in order (a chain, as `assumeRoles` is). An assumed role's credentials last
    an hour at most when chained (IAM User Guide, "Role chaining") while `rollout.wait` may
    poll for hours: each role's credentials are botocore's refreshable ones, assumed again
    before they expire (``now``: their clock, botocore's by default)."""
    import boto3
    import botocore.session
    from botocore.credentials import CredentialResolver, DeferredRefreshableCredentials

    current = boto3.Session(
        profile_name=settings.get("profile") or None,
        aws_access_key_id=settings.get("access_key") or None,
        aws_secret_access_key=settings.get("secret_key") or None,
        aws_session_token=settings.get("token") or None,
        region_name=region,
    )
    source = current._session
    for role in settings.get("assume_roles") or []:
        clock = {} if now is None else {"time_fetcher": now}
        credentials = DeferredRefreshableCredentials(
            refresh_using=_assume_role_fetcher(source, role, region),
            method="assume-role",
            **clock,
        )
        source = botocore.session.Session()
        source.register_component("credential_provider", CredentialResolver([_given(credentials)]))
    if source is current._session:
        return current
    return boto3.Session(botocore_session=source, region_name=region)
