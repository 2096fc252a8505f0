"""The rules on every id, name and ARN a cluster's args give, against what AWS accepts
(identifiers.py), one row each in ``IDENTIFIER_RULES``. An Output is judged by the same rules
once it resolves (deferred.py)."""

from __future__ import annotations

from .components import OUR_TAGS
from .identifiers import (
    device_name_problems,
    ec2_id_problems,
    email_problems,
    image_problems,
    kms_key_arn_problems,
    region_name_problems,
    ssm_parameter_problems,
    tag_problems,
    tag_value_problems,
)
from .problems import Problem
from .rule_table import ArgsRule
from .views import ClusterView


def _network_ids(args: ClusterView) -> list[Problem]:
    problems = []
    if isinstance(args.vpc_id, str):
        problems += ec2_id_problems("vpc_id", args.vpc_id, "vpc")
    subnets = args.subnet_ids if isinstance(args.subnet_ids, list) else []
    strings = [s for s in subnets if isinstance(s, str)]
    for i, subnet in enumerate(subnets):
        if isinstance(subnet, str):
            problems += ec2_id_problems(f"subnet_ids.{i}", subnet, "subnet")
    if len(set(strings)) < len(strings):
        problems.append(Problem("subnet_ids", strings, "lists a subnet twice; give each once"))
    return problems


def _ami_id(args: ClusterView) -> list[Problem]:
    return ec2_id_problems("ami_id", args.ami_id, "ami") if isinstance(args.ami_id, str) else []


def _kms_key_arns(args: ClusterView) -> list[Problem]:
    problems = []
    for field in ("weights_kms_key_arn", "api_key_kms_key_arn"):
        value = getattr(args, field)
        if isinstance(value, str):
            problems += kms_key_arn_problems(field, value)
    return problems


def _region_name(args: ClusterView) -> list[Problem]:
    return [] if args.region is None else region_name_problems("region", args.region)


def _image(args: ClusterView) -> list[Problem]:
    return [] if args.image is None else image_problems("image", args.image)


def _root_device_name(args: ClusterView) -> list[Problem]:
    name = args.root_device_name
    return [] if name is None else device_name_problems("root_device_name", name)


def _api_key_parameter_name(args: ClusterView) -> list[Problem]:
    name = args.api_key_ssm_parameter
    return ssm_parameter_problems("api_key_ssm_parameter", name) if isinstance(name, str) else []


def _tags(args: ClusterView) -> list[Problem]:
    problems = []
    for field in ("environment", "owner"):
        value = getattr(args, field)
        if value is not None:
            problems += tag_value_problems(field, value)
    return problems + tag_problems(
        "tags",
        args.tags,
        # + Environment, Owner; + the group's graviton-llm:project and :stack (tagging.py)
        ours=OUR_TAGS + 4,
        instance_metadata=True,
    )


def _alarm_emails(args: ClusterView) -> list[Problem]:
    emails = enumerate(args.monitoring.alarm_emails)
    return [p for i, email in emails for p in email_problems(f"monitoring.alarm_emails.{i}", email)]


IDENTIFIER_RULES: tuple[ArgsRule, ...] = (
    ArgsRule("network-ids", ("vpc_id", "subnet_ids"), "EC2 vpc and subnet ids, no subnet twice",
             _network_ids),
    ArgsRule("ami-id", ("ami_id",), "an EC2 ami id", _ami_id),
    ArgsRule("kms-key-arns", ("weights_kms_key_arn", "api_key_kms_key_arn"),
             "KMS key ARNs in the aws partition", _kms_key_arns),
    ArgsRule("region-name", ("region",), "a region name AWS could have", _region_name),
    ArgsRule("image-reference", ("image",), "a container image reference", _image),
    ArgsRule("root-device-name", ("root_device_name",), "a block device name (/dev/...)",
             _root_device_name),
    ArgsRule("api-key-parameter-name", ("api_key_ssm_parameter",), "an SSM parameter name",
             _api_key_parameter_name),
    ArgsRule("tags", ("tags", "environment", "owner"), "tag keys and values EC2 instance "
             "metadata accepts, within the tag count beside ours", _tags),
    ArgsRule("alarm-email-addresses", ("monitoring.alarm_emails",), "e-mail addresses SNS "
             "can subscribe", _alarm_emails),
)  # fmt: skip
