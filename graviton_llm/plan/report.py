"""Human rendering of the `plan` document: the same facts as `plan --json`, as tables."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from ..facts.resource_types import BUCKET_POLICY, LAUNCH_TEMPLATE, ROLE, ROLE_POLICY, SECURITY_GROUP
from ..safeio.terminal import styled
from .cost_report import print_stack_cost


def _ports(rule: dict[str, Any]) -> str:
    low, high = rule.get("fromPort"), rule.get("toPort")
    return str(low) if low == high else f"{low}-{high}"


def summarize(type_: str, properties: dict[str, Any]) -> str:
    """One or a few short lines a reviewer can scan: rules, actions, sizes. A property only the
    deployment knows ("[unknown until deployed]", where a shape was expected) is shown as is."""
    try:
        return _summary(type_, properties)
    except (AttributeError, TypeError, KeyError):
        return _generic(properties)


def _generic(properties: dict[str, Any]) -> str:
    return "\n".join(
        f"{key}={json.dumps(value, sort_keys=True, separators=(',', ':'))}"
        for key, value in properties.items()
    )


def _summary(type_: str, properties: dict[str, Any]) -> str:
    if type_ == SECURITY_GROUP:
        lines = [
            f"in  {r.get('protocol')} {_ports(r)} from "
            f"{', '.join([*(r.get('cidrBlocks') or []), *(r.get('ipv6CidrBlocks') or [])])}"
            for r in properties.get("ingress", [])
        ]
        lines += [
            f"out {r.get('protocol')} {_ports(r)} to {', '.join(r.get('cidrBlocks') or [])}"
            for r in properties.get("egress", [])
        ]
        return "\n".join(lines)
    if type_ in (ROLE_POLICY, BUCKET_POLICY):
        policy = properties.get("policy", {})
        if not isinstance(policy, dict):  # a secret document: "[secret]"
            return f"policy {policy}"
        # A bucket policy's Deny statements mean little without their conditions (TLS).
        bucket = type_ == BUCKET_POLICY
        return "\n".join(_statement(s, bucket) for s in policy.get("Statement", []))
    if type_ == ROLE:
        statements = properties.get("assumeRolePolicy", {}).get("Statement", [])
        return "assumed by " + ", ".join(
            json.dumps(s.get("Principal"), sort_keys=True) for s in statements
        )
    if type_ == LAUNCH_TEMPLATE:
        volumes = [
            f"{m['deviceName']} {m['ebs'].get('volumeSize')} GiB {m['ebs'].get('volumeType')}"
            f"{' encrypted' if str(m['ebs'].get('encrypted')).lower() == 'true' else ''}"
            for m in properties.get("blockDeviceMappings", [])
            if "ebs" in m
        ]
        tokens = properties.get("metadataOptions", {}).get("httpTokens")
        return "\n".join(
            [
                f"{properties.get('instanceType')} {properties.get('imageId')}",
                f"IMDS tokens {tokens}",
                *volumes,
            ]
        )
    return _generic(properties)


def _statement(statement: dict[str, Any], with_condition: bool) -> str:
    if "NotResource" in statement:
        where = f"all but {statement['NotResource']}"
    else:
        where = str(statement.get("Resource"))
    condition = ""
    if with_condition and "Condition" in statement:
        condition = f" if {json.dumps(statement['Condition'], sort_keys=True)}"
    return f"{statement.get('Effect')} {statement.get('Action')} on {where}{condition}"


def print_plan(console: Console, document: dict[str, Any]) -> None:
    print_resources(console, document, f"stack {document['stack']} ({document['region']})")

    user_data = document["user_data"]
    if "text" in user_data:
        console.rule("user data")
        console.print(user_data["text"], markup=False, highlight=False)
        console.rule()
    else:
        console.print(
            f"user data: {user_data['bytes']} bytes, sha256 {user_data['sha256'][:16]} "
            "(--full prints it)"
        )
    agent = user_data["node_agent"]
    console.print(
        f"node agent: {agent['uri']} ({agent['bytes']:,} bytes, sha256 {agent['sha256'][:16]}; "
        "the user data pins it)",
        markup=False,
        highlight=False,
    )

    print_first_preview(console, document["first_preview"])
    print_checked_at_deploy(console, document["checked_at_deploy"])
    print_security(console, document["security"])

    cost = document["cost"]
    snapshot = cost["price_snapshot"]
    console.print(styled(("cost", "bold"), " (on-demand)"))
    if cost["total"] is None:
        console.print(f"  {cost['note']}")
    else:
        nodes = cost["nodes_on_demand"]
        console.print(
            f"  {cost['nodes']} x {cost['instance_type']} at "
            f"${cost['on_demand_usd_per_hour_per_node']}/h = ${nodes['usd_per_hour']:,.2f}/h, "
            f"${nodes['usd_per_month']:,.0f}/month ({cost['hours_per_month']} h)"
        )
        if cost["reserved_instances"]:
            total = cost["total"]
            console.print(
                f"  capacity reservations: {cost['reserved_instances']} instances billed at the "
                f"on-demand rate whether used or not; "
                f"{cost['idle_reserved_instances']} idle beyond the {cost['nodes']} nodes"
            )
            console.print(
                f"  total billed: {cost['billed_instances']} instances = "
                f"${total['usd_per_hour']:,.2f}/h, ${total['usd_per_month']:,.0f}/month"
            )
    if cost["capacity_block_id"]:
        console.print(
            f"  capacity block {cost['capacity_block_id']}: targeted; prepaid at purchase, not "
            "in these figures"
        )
    console.print(
        f"  prices: {snapshot['region']} on-demand, snapshot {snapshot['date']}; "
        f"source {snapshot['source']}",
        highlight=False,
    )
    console.print("  (graviton-llm cost compares terms and alternatives)")
    print_stack_cost(console, document["stack_cost"])
    print_ami(console, document["ami"])
    print_cold_start(console, document["cold_start"])
    print_artifact_cache(console, document["artifact_cache"])
    _print_performance(console, document["performance"])


def print_ami(console: Console, ami: dict[str, Any], indent: str = "") -> None:
    if ami["pinned"]:
        console.print(styled(indent, ("AMI", "bold"), f" pinned: {ami['image_id']}"))
        return
    console.print(
        styled(
            indent,
            ("AMI", "bold"),
            " ",
            ("not pinned", "yellow"),
            f": each deploy takes the latest {ami['parameter']} and an AMI release rolls "
            "the fleet; pin it with `graviton-llm ami --write`",
        )
    )


def print_cold_start(console: Console, cold: dict[str, Any]) -> None:
    console.print(styled(("cold start", "bold"), " (predicted, facts/cold_start.py)"))
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("part", "first compile", "cache hit", "from"):
        numbers = column in ("first compile", "cache hit")
        table.add_column(column, overflow="fold", justify="right" if numbers else "left")
    for part in cold["parts"]:
        table.add_row(
            part["part"],
            f"{part['first_compile_s']:,.0f} s",
            f"{part['cache_hit_s']:,.0f} s",
            part["basis"],
        )
    table.add_row("total", f"{cold['first_compile_s']:,.0f} s", f"{cold['cache_hit_s']:,.0f} s", "")
    console.print(table, highlight=False)
    seconds = cold["seconds"]
    if cold["artifact_cache"] and cold["cache_hit_s"] < cold["first_compile_s"]:
        console.print(
            f"  a cache hit is {cold['first_compile_s'] / cold['cache_hit_s']:.1f}x shorter: only "
            "the first node of a new key compiles (none after `graviton-llm compile`); every "
            "other new node, rollout and scale-out downloads the artifacts",
            highlight=False,
        )
    console.print(
        f"  readiness timeout (boot gate, release unit) {seconds['readiness timeout']:,.0f} s "
        f"(covers a first compile); warm start from a stopped pool "
        f"{seconds['warm start (from a stopped warm pool)']:,.0f} s"
        + (
            "; a warm pool is advised"
            if cold["warm_pool_recommended"] and not cold["warm_pool_configured"]
            else ""
        ),
        highlight=False,
    )


def print_artifact_cache(console: Console, cache: dict[str, Any]) -> None:
    if not cache["enabled"]:
        console.print(styled(("artifact cache", "bold"), f" off: {cache['note']}"))
        return
    console.print(styled(("artifact cache", "bold"), f" {cache['prefix']}"))
    inputs = cache["key_inputs"]
    covered = ", ".join(k for k in inputs if k not in ("vllm_args", "env", "format"))
    console.print(
        f"  key {cache['static_key']}: {covered}, the serve flags and container env; then the "
        f"weights' identity, {cache['weights_identity']}",
        highlight=False,
    )
    console.print(f"  nodes read {cache['read_grant']}", highlight=False)
    console.print(f"  nodes write only {', '.join(cache['write_grant'])}", highlight=False)
    console.print(f"  pre-warm before a rollout: {cache['prewarm']}", highlight=False)


def _print_performance(console: Console, performance: dict[str, Any]) -> None:
    console.print(styled(("performance", "bold"), " (predicted, graviton-llm size)"))
    if performance["ttft_ms"] is None:
        console.print(f"  no prediction: {performance['note']}", highlight=False)
        return
    console.print(
        f"  every node running {performance['batch']} requests (max_num_seqs) of "
        f"{performance['input_len']} in / {performance['output_len']} out tokens (assumed): "
        f"TTFT {performance['ttft_ms']:,.0f} ms (no queue), TPOT {performance['tpot_ms']:,.1f} "
        f"ms a decode step, {performance['itl_under_load_ms']:,.1f} ms under load",
        highlight=False,
    )
    console.print(
        f"  {performance['per_request_tokens_per_s']:,.1f} output tok/s per request, "
        f"{performance['output_tokens_per_s']:,.0f} per node, "
        f"{performance['cluster_output_tokens_per_s']:,.0f} for {performance['nodes']} node(s)",
        highlight=False,
    )
    console.print(f"  {performance['basis']}", highlight=False)


def print_resources(console: Console, document: dict[str, Any], title: str) -> None:
    table = Table(title=f"graviton-llm plan: {title}", show_lines=True)
    for column in ("resource", "type", "protect", "key properties"):
        table.add_column(column, overflow="fold")
    for row in document["resources"]:
        flags = "yes" if row["protect"] else ""
        if row["ignore_changes"]:
            flags += ("\n" if flags else "") + "ignore " + ", ".join(row["ignore_changes"])
        table.add_row(
            "  " * row["depth"] + row["name"],
            row["type"],
            flags,
            summarize(row["type"], row["properties"]),
        )
    console.print(table)
    console.print(f"{document['resource_count']} resources")


def print_security(console: Console, security: dict[str, Any]) -> None:
    console.print(styled(("security", "bold")))
    for check in security["checks"]:
        mark = ("pass", "green") if check["passed"] else ("FAIL", "bold red")
        console.print(styled("  ", mark, f"  {check['title']}"))
        for finding in check["findings"]:
            console.print(
                f"        {finding['resource']} ({finding['type']}): {finding['detail']}",
                markup=False,
                highlight=False,
            )
        for unseen in check["not_judged"]:
            console.print(
                f"        not judged: {unseen['resource']} ({unseen['type']}): "
                f"{', '.join(unseen['inputs'])} {unseen['reason']}",
                markup=False,
                highlight=False,
            )


def print_first_preview(console: Console, first: dict[str, Any] | None) -> None:
    if first is None:
        return
    unknown = first["unknown_inputs"]
    console.print(
        f"first preview (nothing exists yet): {first['resource_count']} resources, "
        f"{len(unknown)} inputs only the deployment will know (--json lists them)",
        highlight=False,
    )


def print_checked_at_deploy(console: Console, checks: list[dict[str, str]]) -> None:
    """A cluster's fields given as Outputs: checked when deployed, before any node launches."""
    if not checks:
        return
    console.print("      checked when deployed (given as Outputs):", highlight=False)
    for check in checks:
        console.print(f"        {check['field']}: {check['checks']}", markup=False, highlight=False)
