"""Checks of single fields that several args share: CIDRs, ports, S3 URIs, instance types and
regions. Each returns the problems it finds, never raises."""

from __future__ import annotations

import contextlib
import ipaddress
import re

from ..facts import catalog
from ..facts.catalog import InstanceSpec
from .problems import Problem

# Address space that stays inside a VPC: RFC 1918, the RFC 6598 shared space AWS allows as a
# secondary VPC CIDR, and IPv6 unique-local addresses.
_INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]


def cidr_problems(field: str, cidrs: list[str]) -> list[Problem]:
    problems = []
    for i, cidr in enumerate(cidrs):
        where = f"{field}.{i}"
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f" (did you mean {ipaddress.ip_network(cidr, strict=False)}?)"
            problems.append(
                Problem(where, cidr, f"'{cidr}' is not a valid CIDR block{hint}, e.g. 10.0.0.0/16")
            )
            continue
        internal = any(
            net.version == inside.version and net.subnet_of(inside) for inside in _INTERNAL_NETWORKS
        )
        if not internal:
            problems.append(
                Problem(
                    where,
                    cidr,
                    f"'{cidr}' reaches beyond the VPC: this service is VPC-internal, so allow only "
                    "private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, "
                    "fc00::/7) such as your VPC's CIDR",
                )
            )
    return problems


def port_problems(field: str, port: int) -> list[Problem]:
    if not 1 <= port <= 65535:
        return [Problem(field, port, f"{port} is not a TCP port; use 1-65535, e.g. 8000")]
    if port == 22:
        return [Problem(field, port, "22 is SSH; serve on another port, e.g. 8000")]
    return []


# S3 bucket naming rules: 3-63 chars of lowercase letters, digits, dots and hyphens, starting and
# ending with a letter or digit (Amazon S3 User Guide, "General purpose bucket naming rules").
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """('bucket', 'prefix/') for s3://bucket/prefix/, or None when it is not that shape."""
    match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
    if match is None:
        return None
    bucket, prefix = match.groups()
    if not _BUCKET.match(bucket) or ".." in bucket or "*" in prefix:
        return None
    return bucket, prefix if prefix.endswith("/") else prefix + "/"


def s3_uri_problems(field: str, uri: str) -> list[Problem]:
    if parse_s3_uri(uri) is None:
        return [
            Problem(
                field,
                uri,
                f"'{uri}' is not s3://<bucket>/<prefix>/ with a valid bucket name (lowercase "
                "letters, digits, dots, hyphens) and a prefix, "
                "e.g. s3://my-weights/llama-3.1-8b-instruct/",
            )
        ]
    return []


def instance_problems(field: str, instance_type: str) -> tuple[InstanceSpec | None, list[Problem]]:
    spec = catalog.instance_spec(instance_type)
    if spec is not None:
        return spec, []
    neuron = sorted(n for n, s in catalog.INSTANCE_TYPES.items() if s.accelerator == "neuron")
    message = (
        f"'{instance_type}' is not a supported instance type; Neuron: {', '.join(neuron)}; "
        "Graviton4 CPU: r8g, m8g or c8g in sizes xlarge to 48xlarge (e.g. r8g.48xlarge)"
    )
    return None, [Problem(field, instance_type, message)]


def region_problems(field: str, region: str, spec: InstanceSpec) -> list[Problem]:
    if region in spec.regions:
        return []
    return [
        Problem(
            field,
            region,
            f"{spec.name} is not offered in {region}; it is offered in {', '.join(spec.regions)}",
        )
    ]
