"""Checks of single fields that several args share: CIDRs, ports, S3 URIs, instance types and
regions. Each returns the problems it finds, never raises."""

from __future__ import annotations

import contextlib
import ipaddress
import re

from ..facts import catalog
from ..facts.catalog import InstanceSpec
from .identifiers import shown
from .problems import Problem

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Address space that stays inside a VPC: RFC 1918, the RFC 6598 shared space AWS allows as a
# secondary VPC CIDR, and IPv6 unique-local addresses.
_INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]


def _inside(net: IPNetwork, outer: IPNetwork) -> bool:
    if isinstance(net, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return net.subnet_of(outer)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return net.subnet_of(outer)
    return False


def cidr_problems(field: str, cidrs: object) -> list[Problem]:
    """Each CIDR of a list; an Output (of the list or of one item) is judged once it resolves."""
    if not isinstance(cidrs, list):
        return []
    problems = []
    known = [cidr for cidr in cidrs if isinstance(cidr, str)]
    if len(set(known)) < len(known):
        # EC2 refuses a security group permission listed twice (AuthorizeSecurityGroupIngress).
        problems.append(Problem(field, known, "lists a CIDR twice; give each once"))
    for i, cidr in enumerate(cidrs):
        if not isinstance(cidr, str):
            continue
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
        internal = any(_inside(net, inside) for inside in _INTERNAL_NETWORKS)
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


# General purpose bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming
# rules"): 3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a
# letter or digit, no "..", not an IP address, none of the reserved prefixes and suffixes.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", re.ASCII)
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Object key characters AWS calls safe (S3 User Guide, "Object key naming guidelines") and '/'.
# '*', '?' and '$' are left out on purpose: the prefix becomes an IAM Resource, where the first
# two are wildcards and '${...}' a policy variable (IAM User Guide, "Resource" element).
_PREFIX = re.compile(r"[A-Za-z0-9!_.'()/-]+", re.ASCII)
# Keys are at most 1,024 bytes; leave room for the file names under the prefix.
_PREFIX_MAX = 512


def _bucket_problem(bucket: str) -> str | None:
    if not _BUCKET.fullmatch(bucket):
        return (
            "a bucket name of 3-63 lowercase letters, digits, '.' or '-', starting and ending "
            "with a letter or digit"
        )
    if ".." in bucket or _IP_ADDRESS.fullmatch(bucket):
        return "a bucket name without '..' that is not an IP address"
    if bucket.startswith(_RESERVED_PREFIXES) or bucket.endswith(_RESERVED_SUFFIXES):
        return (
            f"a bucket name not starting with {', '.join(_RESERVED_PREFIXES)} or ending with "
            f"{', '.join(_RESERVED_SUFFIXES)} (reserved by S3)"
        )
    return None


def _prefix_problem(prefix: str) -> str | None:
    if len(prefix) > _PREFIX_MAX or not _PREFIX.fullmatch(prefix):
        return (
            f"a prefix of at most {_PREFIX_MAX} of the characters S3 calls safe "
            "(letters, digits, ! _ . ' ( ) - and /); no *, ? or $, which IAM reads as wildcards"
        )
    segments = prefix.rstrip("/").split("/")
    if prefix.startswith("/") or "" in segments or {".", ".."} & set(segments):
        return "a prefix without empty, '.' or '..' path segments"
    return None


def _split_s3_uri(uri: str) -> tuple[str, str] | str:
    """('bucket', 'prefix/'), or what is wrong with the URI."""
    match = re.fullmatch(r"s3://([^/]*)/(.+)", uri, flags=re.DOTALL)
    if match is None:
        return "s3://<bucket>/<prefix>/"
    bucket, prefix = match.groups()
    wrong = _bucket_problem(bucket) or _prefix_problem(prefix)
    if wrong is not None:
        return wrong
    return bucket, prefix if prefix.endswith("/") else prefix + "/"


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """('bucket', 'prefix/') for a valid s3://bucket/prefix/, else None."""
    parsed = _split_s3_uri(uri)
    return parsed if isinstance(parsed, tuple) else None


def s3_uri_problems(
    field: str,
    uri: str,
    what: str = "weights location",
    example: str = "s3://my-weights/llama-3.1-8b-instruct/",
) -> list[Problem]:
    parsed = _split_s3_uri(uri)
    if isinstance(parsed, tuple):
        return []
    return [
        Problem(
            field,
            uri,
            f"{shown(uri)} is not a {what}: it must be s3://<bucket>/<prefix>/ with "
            f"{parsed}, e.g. {example}",
        )
    ]


def s3_prefixes_overlap(one: tuple[str, str], other: tuple[str, str]) -> bool:
    """Whether two (bucket, prefix/) locations share keys: one holds the other."""
    (bucket, prefix), (other_bucket, other_prefix) = one, other
    return bucket == other_bucket and (
        prefix.startswith(other_prefix) or other_prefix.startswith(prefix)
    )


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
