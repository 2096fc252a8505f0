"""Offline plan: run the real stack program under the mock engine and describe what it declares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from .. import program
from ..documents.iam import artifact_cache_policy
from ..facts import catalog, images, sizing
from ..facts.aws_replacements import replacing_inputs
from ..facts.rules import EngineResource
from ..facts.units import HOURS_PER_MONTH
from ..node.serve_command import (
    artifact_cache_location,
    artifact_key_inputs,
    static_artifact_key,
)
from ..pricing.cost import monthly
from ..program.stack_files import cluster_config, stack_region
from ..sizing import stack_performance
from ..testing import ProgramResult, RegisteredResource, resolve, run_program
from .findings import SECRET_SHOWN, CheckResult, is_secret_value, run_checks
from .first_preview import FirstPreview, checked_at_deploy, first_preview_of
from .unjudged import not_judged

UNKNOWN_SHOWN = "[unknown until deployed]"

# Version of the `plan --json` document (docs/plan-json.md). Bump on any incompatible change.
SCHEMA_VERSION = 1

# Inputs worth a reviewer's eye, per resource type (camelCase, as the engine sees them). Tags and
# user data are left out: tags are the same everywhere, user data has its own section.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("vpcId", "ingress", "egress"),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("role", "policy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),
    "aws:iam/instanceProfile:InstanceProfile": ("role",),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "instanceType", "imageId", "metadataOptions", "blockDeviceMappings",
        "vpcSecurityGroupIds", "iamInstanceProfile",
    ),
    "aws:autoscaling/group:Group": (
        "minSize", "maxSize", "desiredCapacity", "healthCheckType", "healthCheckGracePeriod",
        "launchTemplate", "vpcZoneIdentifiers", "capacityReservationSpecification",
        "instanceRefresh", "warmPool", "mixedInstancesPolicy", "protectFromScaleIn",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "comparisonOperator", "threshold",
                                               "evaluationPeriods", "alarmActions"),
    "aws:autoscaling/policy:Policy": ("policyType", "targetTrackingConfiguration"),
    # The rollout (components/instance_refresh.py): the refresh it starts when this changes.
    "pulumi-python:dynamic:Resource": ("request",),
    "aws:sns/topic:Topic": ("kmsMasterKeyId",),
    "aws:lb/loadBalancer:LoadBalancer": ("internal", "loadBalancerType", "subnets"),
    "aws:lb/targetGroup:TargetGroup": ("port", "protocol", "healthCheck"),
    "aws:lb/listener:Listener": ("port", "protocol"),
    "aws:ec2/capacityReservation:CapacityReservation": (
        "instanceType", "availabilityZone", "instanceCount", "instanceMatchCriteria",
        "endDateType", "endDate",
    ),
    # What teams' own projects commonly add: their network and the state backend.
    "aws:ec2/vpc:Vpc": ("cidrBlock", "enableDnsHostnames", "enableDnsSupport"),
    "aws:ec2/subnet:Subnet": ("vpcId", "cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
    "aws:ec2/routeTable:RouteTable": ("vpcId", "routes"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "connectivityType"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType", "routeTableIds"),
    "aws:s3/bucket:Bucket": ("bucket", "forceDestroy", "objectLockEnabled"),
    "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "rules",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:kms/alias:Alias": ("name", "targetKeyId"),
    "aws:ssm/parameter:Parameter": ("name", "type", "value"),
}  # fmt: skip
# Inputs that are JSON documents in a string: shown parsed, so the JSON diff reads well.
_JSON_STRING_PROPERTIES = {"assumeRolePolicy", "policy"}


def _plain(value: Any) -> Any:
    """Engine values as JSON: integral floats back to ints (the engine sends numbers as floats),
    dict keys sorted by json.dumps later; a secret shown as "[secret]", never its value; a value
    only AWS will know (an attribute the mocks do not compute) as "[unknown until deployed]"."""
    if is_secret_value(value):
        return SECRET_SHOWN
    if isinstance(value, Unknown):
        return UNKNOWN_SHOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def replacing_values(resource: RegisteredResource) -> dict[str, Any]:
    """The resource's inputs that force a replacement when they change (facts/aws_replacements)."""
    return {
        key: _plain(resource.inputs[key])
        for key in replacing_inputs(resource.type)
        if key in resource.inputs
    }


def _without(value: Any, path: list[str]) -> Any:
    """``value`` with the property at ``path`` (e.g. launchTemplate.version) left out."""
    if not isinstance(value, dict) or not path:
        return value
    head, *rest = path
    if head not in value:
        return value
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    return {**value, head: _without(value[head], rest)}


def inputs_digest(resource: RegisteredResource) -> str:
    """A digest of the inputs Pulumi would compare: ignore_changes paths and a dynamic
    resource's pickled provider (code, not configuration) left out."""
    inputs: Any = {k: v for k, v in resource.inputs.items() if k != "__provider"}
    for path in resource.ignore_changes:
        inputs = _without(inputs, path.split("."))
    text = json.dumps(_plain(inputs), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_properties(resource: RegisteredResource) -> dict[str, Any]:
    properties = {}
    for key in KEY_PROPERTIES.get(resource.type, ()):
        if key not in resource.inputs:
            continue
        value = resource.inputs[key]
        if key in _JSON_STRING_PROPERTIES and isinstance(value, str):
            value = json.loads(value)
        properties[key] = _plain(value)
    return properties


@dataclass(frozen=True)
class Plan:
    stack: str
    region: str
    result: ProgramResult
    cluster: Any  # the NeuronServingCluster the program built
    first_preview: FirstPreview | None = None  # the same program on a first preview

    @property
    def user_data(self) -> str:
        return str(self.cluster.user_data)

    @property
    def user_data_sha256(self) -> str:
        return hashlib.sha256(self.user_data.encode()).hexdigest()

    def resource_rows(self) -> list[dict[str, Any]]:
        """One row per resource, parents before children, siblings by name: a stable order."""
        by_parent: dict[str | None, list[RegisteredResource]] = {}
        urns = {r.urn for r in self.result.resources}
        for r in self.result.resources:
            parent = r.parent_urn if r.parent_urn in urns else None
            by_parent.setdefault(parent, []).append(r)
        rows: list[dict[str, Any]] = []

        def walk(parent: str | None, depth: int) -> None:
            for r in sorted(by_parent.get(parent, []), key=lambda r: (r.type, r.name)):
                rows.append(
                    {
                        "depth": depth,
                        "type": r.type,
                        "name": r.name,
                        "parent": r.parent_name if parent else None,
                        "protect": r.protect,
                        "ignore_changes": sorted(r.ignore_changes),
                        "retain_on_delete": r.retain_on_delete,
                        "properties": key_properties(r),
                        # What `plan --against` compares: the inputs that force AWS to replace
                        # the resource, and a digest of all its inputs (any change: an update).
                        "replace_on_change": replacing_values(r),
                        "inputs_sha256": inputs_digest(r),
                    }
                )
                walk(r.urn, depth + 1)

        walk(None, 0)
        return rows

    def security(self) -> list[CheckResult]:
        return run_checks(self.result.resources)

    @property
    def secure(self) -> bool:
        return all(check.passed for check in self.security())

    def cost(self) -> dict[str, Any]:
        """On-demand cost of the nodes, plus what capacity reservations bill on top.

        An ODCR bills the on-demand rate for every reserved instance, used or not; a node running
        in it is not billed again. With the ASG targeting its reservations first, the cluster bills
        max(nodes, reserved) instances (assuming the nodes land in the reserved zones).
        """
        args = self.cluster.args
        price = catalog.on_demand_price(args.instance_type)
        nodes = args.desired_capacity
        reserved = args.capacity.instance_count if args.capacity is not None else 0
        billed = max(nodes, reserved)

        def money(per_hour_instances: int) -> dict[str, float] | None:
            if price is None:
                return None
            hourly = price * per_hour_instances
            return {
                "usd_per_hour": round(hourly, 5),
                "usd_per_month": round(monthly(hourly), 2),
            }

        return {
            "instance_type": args.instance_type,
            "nodes": nodes,
            "reserved_instances": reserved,
            # Prepaid when bought, so not in the hourly figures.
            "capacity_block_id": args.capacity.capacity_block_id if args.capacity else None,
            "idle_reserved_instances": max(reserved - nodes, 0),
            "on_demand_usd_per_hour_per_node": price,
            "nodes_on_demand": money(nodes),
            "billed_instances": billed,
            "total": money(billed),
            "hours_per_month": HOURS_PER_MONTH,
            "price_snapshot": {
                "date": catalog.PRICE_SNAPSHOT_DATE,
                "region": catalog.PRICE_SNAPSHOT_REGION,
                "source": catalog.PRICE_SNAPSHOT_SOURCE,
            },
            "note": None if price is not None else f"no snapshot price for {args.instance_type}",
        }

    def user_data_section(self, full: bool = False) -> dict[str, Any]:
        section: dict[str, Any] = {
            "bytes": len(self.user_data.encode()),
            "sha256": self.user_data_sha256,
        }
        if full:
            section["text"] = self.user_data
        return section

    def document(self, full: bool = False) -> dict[str, Any]:
        """The `plan --json` document (schema: docs/plan-json.md). Same input, same bytes."""
        return {
            "schema_version": SCHEMA_VERSION,
            "project": program.PROJECT,
            "stack": self.stack,
            "region": self.region,
            "resource_count": len(self.result.resources),
            "resources": self.resource_rows(),
            "outputs": _plain(self.result.stack_outputs),
            "user_data": self.user_data_section(full),
            "checked_at_deploy": checked_at_deploy(self.cluster),
            "first_preview": self.first_preview.section() if self.first_preview else None,
            "security": security_section(self.security(), self.result.resources),
            "cost": self.cost(),
            "cold_start": self.cold_start(),
            "artifact_cache": self.artifact_cache(),
            "ami": self.ami(),
            "performance": self.performance(),
        }

    def performance(self) -> dict[str, Any]:
        """Predicted TTFT, TPOT and throughput of a node at its max_num_seqs, at the request
        shape sizing assumes (graviton_llm/sizing/deployment.py), and whether the model is
        calibrated for this hardware."""
        return stack_performance(self.cluster.args).document()

    def ami(self) -> dict[str, Any]:
        """Whether the nodes' image is pinned, or the latest the SSM parameter names at each
        deploy (then an AMI release rolls the fleet: `graviton-llm ami --write` pins it)."""
        args = self.cluster.args
        pinned = isinstance(args.ami_id, str)
        return {
            "pinned": pinned,
            "image_id": args.ami_id if pinned else None,
            "parameter": None if pinned else images.ami_parameter(args.spec),
        }

    def cold_start(self) -> dict[str, Any]:
        """Predicted boot-to-ready seconds by part (facts/sizing.py) on both paths: a first
        compile (the figure behind the boot script's readiness gate, since any node may miss the
        cache) and a hit in the artifact cache. Each part says where its figure comes from."""
        args = self.cluster.args
        cold = sizing.predict_cold_start(
            args.spec, args.model.weights_gib, args.model.info, warm_pool=args.warm_pool is not None
        )
        cached = args.artifact_cache_root is not None
        advice = sizing.warm_pool_advice(cold, artifact_cache=cached)
        return {
            "seconds": {k: round(v, 1) for k, v in sizing.cold_start_table(cold).items()},
            "parts": [
                {
                    "part": part.name,
                    "first_compile_s": round(part.first_compile_s, 1),
                    "cache_hit_s": round(part.cache_hit_s, 1),
                    "basis": part.basis,
                }
                for part in sizing.cold_start_parts(cold)
            ],
            "first_compile_s": round(cold.total_s, 1),
            "cache_hit_s": round(cold.cache_hit_s, 1),
            "artifact_cache": cached,
            "new_node_s": round(advice.cold_start_s, 1),
            "warm_pool_recommended": advice.recommended,
            "warm_pool_configured": args.warm_pool is not None,
        }

    def artifact_cache(self) -> dict[str, Any]:
        """Where the nodes share compiled artifacts, what the key covers and what they may write
        (the same grant documents/iam.py renders for the node role)."""
        args = self.cluster.args
        location = artifact_cache_location(args)
        if location is None:
            neuron = args.spec.accelerator == "neuron"
            return {"enabled": False, "note": "disabled" if neuron else "no compile on CPU"}
        bucket, prefix = location
        document = artifact_cache_policy(f"s3://{bucket}/{prefix}")
        grants = {s["Sid"]: s["Resource"] for s in document["Statement"]}
        return {
            "enabled": True,
            "prefix": f"s3://{bucket}/{prefix}",
            "static_key": static_artifact_key(args),
            "key_inputs": artifact_key_inputs(args),
            "weights_identity": "computed at boot: a digest of the weights' S3 listing (keys, "
            "sizes, ETags); each weights version has its own entry <prefix><digest>/",
            "read_grant": grants["ReadCompiledArtifacts"],
            # Blobs, then the manifest (which the grant allows only as a create).
            "write_grant": [grants["UploadCompiledArtifacts"], grants["PublishManifestOnce"]],
            "prewarm": f"graviton-llm compile --stack {self.stack}",
        }


def security_section(
    checks: list[CheckResult], resources: Sequence[EngineResource] = ()
) -> dict[str, Any]:
    """The checks' results; under each, what it could not judge among ``resources`` (an input
    only the deployment knows): its "pass" covers only what it saw."""
    return {
        "passed": all(c.passed for c in checks),
        "checks": [
            {
                "id": c.id,
                "title": c.title,
                "passed": c.passed,
                "findings": [
                    {"resource": f.resource, "type": f.type, "detail": f.detail} for f in c.findings
                ],
                "not_judged": [n.as_dict() for n in not_judged(c.id, resources)],
            }
            for c in checks
        ],
    }


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def build_plan(stack: str) -> Plan:
    """Run program.main with the stack's config, offline, with the mocks' values and again as
    a first preview. Bad input raises a ConfigError or the args' ValidationError before the
    program runs."""
    config = program.load_stack_config(stack)
    cluster_config(stack, config)
    region = stack_region(stack, config)
    name = program.stack_config_path(stack).stem.removeprefix("Pulumi.")
    runs = [
        run_program(
            program.main, config=config, project=program.PROJECT, stack=name, region=region,
            first_preview=first,
        )
        for first in (False, True)
    ]  # fmt: skip
    result = runs[0]
    resolve(result.value.endpoint)
    return Plan(
        stack=name, region=region, result=result, cluster=result.value,
        first_preview=first_preview_of(runs[1]),
    )  # fmt: skip
