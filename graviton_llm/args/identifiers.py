"""Checks of the names and ids a user gives, against the rules AWS and Hugging Face apply.

Each check returns the problems it finds and never raises. A value that passes is safe to put in
a resource, a policy or (as quoted data) the node's boot script: no control characters, no
wildcards, bounded length. Sources are cited per rule; "ours" marks a bound we chose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from .problems import Problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f]", re.ASCII)


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message may quote it: printable, and short."""
    text = repr(value) if not isinstance(value, str) or _CONTROL.search(value) else f"'{value}'"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _checked(
    field: str,
    value: str,
    *,
    pattern: re.Pattern[str],
    max_length: int,
    what: str,
    example: str,
) -> list[Problem]:
    if not value:
        return [Problem(field, value, f"is empty; give {what}, e.g. {example}")]
    if len(value) > max_length:
        return [
            Problem(field, value, f"is {len(value)} characters; {what} has at most "
                    f"{max_length}, e.g. {example}")
        ]  # fmt: skip
    if not pattern.fullmatch(value):
        return [Problem(field, value, f"{shown(value)} is not {what}, e.g. {example}")]
    return []


# ---- component names ------------------------------------------------------------------------
# A cluster names its children "<name>-nlb", "<name>-tg", "<name>-security-role", ... and Pulumi
# auto-names them "<logical>-<7 hex>". Load balancer and target group names are at most 32 of
# A-Z a-z 0-9 '-' (ELBv2 CreateLoadBalancer, CreateTargetGroup), so "<name>-nlb" + 8 fits only
# when the name has at most 20 characters; a dashboard takes only A-Z a-z 0-9 _ - (PutDashboard).
CLUSTER_NAME_MAX = 20
_CLUSTER_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?", re.ASCII)


def cluster_name_problems(field: str, name: str) -> list[Problem]:
    return _checked(
        field,
        name,
        pattern=_CLUSTER_NAME,
        max_length=CLUSTER_NAME_MAX,
        what="a cluster name (letters, digits and '-', starting with a letter; its load "
        "balancer's name is built from it and AWS allows 32 characters there)",
        example="llm-prod",
    )


# ---- Hugging Face ---------------------------------------------------------------------------
# huggingface_hub 2.4.0 utils/_validators.py validate_repo_id: "[namespace/]name", each part 1-96
# ASCII word characters, '-' or '.', starting and ending with a letter, digit or '_'; no "--" or
# "..", not ending in ".git".
_HF_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_HF_REPO_ID = re.compile(rf"(?:{_HF_PART}/)?{_HF_PART}", re.ASCII)


def hf_model_id_problems(field: str, model_id: str) -> list[Problem]:
    problems = _checked(
        field,
        model_id,
        pattern=_HF_REPO_ID,
        max_length=193,
        what="a Hugging Face model id ([org/]name: letters, digits, '_', '-', '.')",
        example="meta-llama/Llama-3.1-8B-Instruct",
    )
    if not problems and ("--" in model_id or ".." in model_id or model_id.endswith(".git")):
        problems.append(
            Problem(field, model_id, "may not contain '--' or '..' or end in '.git' "
                    "(Hugging Face repo id rules)")
        )  # fmt: skip
    return problems


# ---- EC2 ids --------------------------------------------------------------------------------
# "<prefix>-" and 8 (older) or 17 hex characters (EC2 User Guide, "Resource IDs").
def ec2_id_problems(field: str, value: str, prefix: str) -> list[Problem]:
    return _checked(
        field,
        value,
        pattern=re.compile(rf"{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})", re.ASCII),
        max_length=len(prefix) + 18,
        what=f"an EC2 {prefix} id ({prefix}- and 8 or 17 hex digits)",
        example=f"{prefix}-0123456789abcdef0",
    )


# ---- IAM ------------------------------------------------------------------------------------
# Role names: 1-64 of letters, digits and + = , . @ _ - (IAM API CreateRole, RoleName).
def iam_role_name_problems(field: str, name: str) -> list[Problem]:
    return _checked(
        field,
        name,
        pattern=re.compile(r"[\w+=,.@-]+", re.ASCII),
        max_length=64,
        what="an IAM role name",
        example="llm-serving-nodes",
    )


# ---- regions and zones ----------------------------------------------------------------------
# ASCII digits: `\d` also matches other scripts' digits ("us-east-\u0661" passed).
_REGION = r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]{1,2}"


def region_name_problems(field: str, region: str) -> list[Problem]:
    return _checked(
        field,
        region,
        pattern=re.compile(_REGION, re.ASCII),
        max_length=25,
        what="an AWS region name",
        example="us-east-1",
    )


def zone_problems(field: str, zone: str) -> list[Problem]:
    return _checked(
        field,
        zone,
        pattern=re.compile(rf"{_REGION}[a-z]", re.ASCII),
        max_length=26,
        what="an availability zone name",
        example="us-east-1a",
    )


# ---- KMS ------------------------------------------------------------------------------------
# Key ARNs (KMS developer guide, "Key identifiers"): a key id is a UUID, or mrk- and 32 hex
# digits for a multi-Region key. An IAM policy names a key by its key ARN (an alias ARN does not
# match kms:Decrypt on the key), and the policies here are written for the aws partition.
_KMS_KEY_ARN = re.compile(
    rf"arn:aws:kms:{_REGION}:[0-9]{{12}}:key/"
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    re.ASCII,
)


def kms_key_arn_problems(field: str, arn: str) -> list[Problem]:
    return _checked(
        field,
        arn,
        pattern=_KMS_KEY_ARN,
        max_length=120,
        what="a KMS key ARN in the aws partition (no alias, no wildcard)",
        example="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )


# ---- SSM Parameter Store --------------------------------------------------------------------
# PutParameter Name: a-zA-Z0-9_.- and '/' between levels, hierarchies start with '/', at most 15
# levels, no "aws"/"ssm" prefix in any case; 1,011 usable characters including the ARN prefix
# (SSM API reference). 950 leaves room for the longest ARN prefix of the aws partition.
_SSM_PARAMETER = re.compile(r"(?:/[A-Za-z0-9_.-]+){1,15}", re.ASCII)


def ssm_parameter_problems(field: str, name: str) -> list[Problem]:
    problems = _checked(
        field,
        name,
        pattern=_SSM_PARAMETER,
        max_length=950,
        what="an SSM parameter name starting with '/' (letters, digits, _ . -, at most 15 levels)",
        example="/llm/prod/api-key",
    )
    if not problems and re.match(r"/(aws|ssm)", name, re.IGNORECASE | re.ASCII):
        problems.append(Problem(field, name, "may not start with 'aws' or 'ssm' (reserved by AWS)"))
    return problems


# ---- container images -----------------------------------------------------------------------
# Docker reference grammar (distribution/reference regexp.go): [registry[:port]/]path[:tag]
# [@sha256:digest], path components lowercase alphanumerics joined by '.', '_', '__' or '-'.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"(?:[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?",
    re.ASCII,
)


def image_problems(field: str, image: str) -> list[Problem]:
    return _checked(
        field,
        image,
        pattern=_IMAGE,
        max_length=512,
        what="a container image reference (registry/path:tag)",
        example="public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:<tag>",
    )


# ---- devices and dates ----------------------------------------------------------------------
# Linux device names EC2 accepts for EBS (EC2 User Guide, "Device names on Linux instances").
_DEVICE = re.compile(r"/dev/(?:sd[a-z][0-9]{0,2}|xvd[a-z]{1,2})", re.ASCII)


def device_name_problems(field: str, device: str) -> list[Problem]:
    return _checked(
        field,
        device,
        pattern=_DEVICE,
        max_length=16,
        what="a Linux block device name",
        example="/dev/xvda",
    )


def future_time_problems(field: str, value: str, now: datetime | None = None) -> list[Problem]:
    """RFC 3339 with a zone (the provider parses end_date with Go's time.RFC3339), in the future
    (EC2 ends a reservation within an hour after it)."""
    when = None
    if len(value) <= 40 and not _CONTROL.search(value):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is None or when.tzinfo is None:
        return [
            Problem(field, value, "is not an RFC 3339 time with a zone, e.g. "
                    "2027-06-30T00:00:00Z")
        ]  # fmt: skip
    if when <= (now or datetime.now(UTC)):
        return [Problem(field, value, "is in the past; give a time in the future")]
    return []


# ---- e-mail ---------------------------------------------------------------------------------
# SNS publishes no grammar for e-mail endpoints; this is RFC 5321's length limits, RFC 5322's
# atext in the local part and a letters-digits-hyphens domain: printable ASCII only, so no NUL,
# control character, space or separator reaches the subscription (ours: no quoted local parts,
# no internationalized addresses).
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}",
    re.ASCII,
)


def email_problems(field: str, address: str) -> list[Problem]:
    return _checked(
        field,
        address,
        pattern=_EMAIL,
        max_length=254,
        what="an e-mail address",
        example="oncall@example.com",
    )


# ---- tags -----------------------------------------------------------------------------------
# Keys 1-127 characters (EC2 API Tag: "a maximum of 127 Unicode characters. May not begin with
# aws:"), values up to 256, the aws: prefix reserved in any case; characters other services also
# accept: letters, digits, spaces and _ . : / = + - @ (EC2 User Guide, "Tag restrictions"). Keys
# of instance tags reach instance metadata, where EC2 allows only letters, digits and
# + - = . , _ : @ and refuses ".", ".." and "_index" (EC2 User Guide, "View tags for your EC2
# instances using instance metadata"). 50 tags per resource, ours included.
MAX_TAGS = 50
# Tags are not identifiers: AWS allows letters of any script there ("letters, numbers, and
# spaces representable in UTF-8"), so \w stays Unicode; metadata keys are ASCII.
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
_METADATA_TAG_KEY = re.compile(r"[A-Za-z0-9+\-=.,_:@]+", re.ASCII)


def tag_value_problems(field: str, value: str) -> list[Problem]:
    if len(value) > 256 or not _TAG_TEXT.fullmatch(value):
        return [
            Problem(field, value, "a tag value has at most 256 letters, digits, spaces "
                    "or _ . : / = + - @")
        ]  # fmt: skip
    if value.lower().startswith("aws:"):
        return [Problem(field, value, "may not start with 'aws:' (reserved by AWS)")]
    return []


def tag_problems(
    field: str, tags: Mapping[str, object], *, ours: int, instance_metadata: bool
) -> list[Problem]:
    """A user's tags on top of ``ours`` tags the component adds; a value that is an Output is
    judged once it resolves."""
    problems = []
    if len(tags) + ours > MAX_TAGS:
        problems.append(
            Problem(field, f"{len(tags)} tags", f"at most {MAX_TAGS - ours} tags: AWS allows "
                    f"{MAX_TAGS} per resource and graviton-llm adds {ours}")
        )  # fmt: skip
    for key, value in tags.items():
        plain = 0 < len(key) <= 40 and not _CONTROL.search(key)
        where = f"{field}.{key if plain else shown(key, 40)}"
        if not key or len(key) > 127 or not _TAG_TEXT.fullmatch(key):
            problems.append(
                Problem(where, key, "a tag key has 1-127 letters, digits, spaces or "
                        "_ . : / = + - @")
            )  # fmt: skip
        elif key.lower().startswith("aws:"):
            problems.append(Problem(where, key, "may not start with 'aws:' (reserved)"))
        elif instance_metadata and (
            not _METADATA_TAG_KEY.fullmatch(key) or key in (".", "..", "_index")
        ):
            problems.append(
                Problem(where, key, "tag keys reach instance metadata, where EC2 allows "
                        "only letters, digits and + - = . , _ : @ (no spaces or /); e.g. "
                        "'team:owner' instead of 'team/owner'")
            )  # fmt: skip
        if isinstance(value, str):
            problems += tag_value_problems(where, value)
    return problems
