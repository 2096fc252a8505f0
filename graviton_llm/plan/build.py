"""Offline plan: run the real stack program under the mock engine and describe what it declares."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import project
from ..documents.iam import artifact_cache_policy
from ..facts import catalog, cold_start, images
from ..facts.rules import EngineResource
from ..facts.units import HOURS_PER_MONTH
from ..node.agent_archive import agent_archive
from ..node.artifact_key import artifact_cache_location, artifact_key_inputs, static_artifact_key
from ..pricing.cost import monthly
from ..project.stack_files import cluster_config, stack_region
from ..safeio.json_text import to_json as to_json  # plan.to_json: the canonical encoder
from ..sizing import stack_performance
from ..testing import ProgramResult, resolve, run_program
from .findings import CheckResult, run_checks
from .first_preview import FirstPreview, checked_at_deploy, first_preview_of
from .resource_rows import document_value, resource_rows
from .unjudged import not_judged

# Version of the `plan --json` document (docs/plan-json.md). Bump on any incompatible change.
SCHEMA_VERSION = 1


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
        return resource_rows(self.result)

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
        agent = self.cluster.node_agent
        section: dict[str, Any] = {
            "bytes": len(self.user_data.encode()),
            "sha256": self.user_data_sha256,
            # What the user data pins and where the nodes fetch it (a new digest: node code
            # changed, and the launch template gets a new version).
            "node_agent": {
                "uri": agent.uri,
                "region": agent.region or None,
                "sha256": agent.sha256,
                "bytes": len(agent_archive().data),
            },
        }
        if full:
            section["text"] = self.user_data
        return section

    def document(self, full: bool = False) -> dict[str, Any]:
        """The `plan --json` document (schema: docs/plan-json.md). Same input, same bytes."""
        return {
            "schema_version": SCHEMA_VERSION,
            "project": project.PROJECT,
            "stack": self.stack,
            "region": self.region,
            "resource_count": len(self.result.resources),
            "resources": self.resource_rows(),
            "outputs": document_value(self.result.stack_outputs),
            "user_data": self.user_data_section(full),
            "checked_at_deploy": checked_at_deploy(self.cluster),
            "first_preview": self.first_preview.section() if self.first_preview else None,
            "security": security_section(self.security(), self.result.resources),
            "cost": self.cost(),
            "stack_cost": self.stack_cost(),
            "cold_start": self.cold_start(),
            "artifact_cache": self.artifact_cache(),
            "ami": self.ami(),
            "performance": self.performance(),
        }

    def stack_cost(self, clusters: list[Any] | None = None) -> dict[str, Any]:
        """Every resource of the plan priced in its region (pricing/stack_cost.py): the whole
        bill, of which `cost` is the instances' part."""
        from .stack_bill import whole_stack_cost

        built = [self.cluster] if clusters is None else clusters
        return whole_stack_cost(self.result, built, self.region).document()

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
        """Predicted boot-to-ready seconds by part (facts/cold_start.py) on both paths: a first
        compile (the figure behind the boot script's readiness gate, since any node may miss the
        cache) and a hit in the artifact cache. Each part says where its figure comes from."""
        args = self.cluster.args
        cold = cold_start.predict_cold_start(
            args.spec, args.model.weights_gib, args.model.info, warm_pool=args.warm_pool is not None
        )
        cached = args.artifact_cache_root is not None
        advice = cold_start.warm_pool_advice(cold, artifact_cache=cached)
        return {
            "seconds": {k: round(v, 1) for k, v in cold_start.cold_start_table(cold).items()},
            "parts": [
                {
                    "part": part.name,
                    "first_compile_s": round(part.first_compile_s, 1),
                    "cache_hit_s": round(part.cache_hit_s, 1),
                    "basis": part.basis,
                }
                for part in cold_start.cold_start_parts(cold)
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


def build_plan(stack: str) -> Plan:
    """Run project.main with the stack's config, offline, with the mocks' values and again as
    a first preview. Bad input raises a ConfigError or the args' ValidationError before the
    program runs."""
    config = project.load_stack_config(stack)
    cluster_config(stack, config)
    region = stack_region(stack, config)
    name = project.stack_config_path(stack).stem.removeprefix("Pulumi.")
    runs = [
        run_program(
            project.main, config=config, project=project.PROJECT, stack=name, region=region,
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
