"""Human rendering of a project plan: the same facts as `plan PROJECT_DIR --json`."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from ..safeio.terminal import styled
from .cost_report import print_stack_cost
from .report import (
    print_ami,
    print_artifact_cache,
    print_checked_at_deploy,
    print_cold_start,
    print_first_preview,
    print_resources,
    print_security,
)


def print_project_plan(console: Console, document: dict[str, Any]) -> None:
    print_resources(
        console,
        document,
        f"project {document['project']}, stack {document['stack']} ({document['region']})",
    )
    print_first_preview(console, document["first_preview"])
    clusters = document["clusters"]
    console.print(styled(("clusters", "bold"), f" ({len(clusters)})"))
    for cluster in clusters:
        print_cluster(console, cluster)
        print_ami(console, cluster["ami"], indent="      ")
        print_cold_start(console, cluster["cold_start"])
        print_artifact_cache(console, cluster["artifact_cache"])
    print_security(console, document["security"])
    print_total_cost(console, document["total_cost"])
    print_stack_cost(console, document["stack_cost"])
    if document["outputs"]:
        console.print(styled(("outputs", "bold"), " (mock values)"))
        for name, value in sorted(document["outputs"].items()):
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            console.print(f"  {name} = {shown}", markup=False, highlight=False)
    if document["secret_config"]:
        console.print(
            f"secret config (never read offline; a placeholder stood in): "
            f"{', '.join(document['secret_config'])}",
            highlight=False,
        )


def print_cluster(console: Console, cluster: dict[str, Any]) -> None:
    cost, user_data = cluster["cost"], cluster["user_data"]
    total = cost["total"]
    money = cost["note"]
    if total is not None:
        money = f"${total['usd_per_hour']:,.2f}/h, ${total['usd_per_month']:,.0f}/month"
    console.print(
        f"  {cluster['name']}: {cluster['nodes']} x {cluster['instance_type']} serving "
        f"{cluster['model']}; {money}",
        markup=False,
        highlight=False,
    )
    console.print(
        f"      user data {user_data['bytes']} bytes, sha256 {user_data['sha256'][:16]}; cold "
        f"start {cluster['cold_start']['seconds']['total']:,.0f} s",
        highlight=False,
    )
    console.print(
        f"      node agent {user_data['node_agent']['uri']}",
        markup=False,
        highlight=False,
    )
    print_checked_at_deploy(console, cluster["checked_at_deploy"])
    performance = cluster["performance"]
    if performance["ttft_ms"] is None:
        console.print(f"      no performance prediction: {performance['note']}", highlight=False)
    else:
        console.print(
            f"      predicted at {performance['batch']} running: TTFT "
            f"{performance['ttft_ms']:,.0f} ms, TPOT {performance['tpot_ms']:,.1f} ms, "
            f"{performance['cluster_output_tokens_per_s']:,.0f} output tok/s in all",
            highlight=False,
        )


def print_total_cost(console: Console, total: dict[str, Any]) -> None:
    snapshot = total["price_snapshot"]
    console.print(styled(("cost of all clusters", "bold"), " (on-demand)"))
    console.print(
        f"  {total['clusters']} cluster(s), {total['billed_instances']} billed instance(s): "
        f"${total['usd_per_hour']:,.2f}/h, ${total['usd_per_month']:,.0f}/month "
        f"({total['hours_per_month']} h)",
        highlight=False,
    )
    if total["unpriced_clusters"]:
        console.print(
            f"  not counted (no snapshot price): {', '.join(total['unpriced_clusters'])}",
            highlight=False,
        )
    console.print(
        f"  prices: {snapshot['region']} on-demand, snapshot {snapshot['date']}", highlight=False
    )


def print_project_summary(console: Console, document: dict[str, Any]) -> None:
    """A few lines: what the stack creates, what it costs, whether it passes the checks."""
    passed = document["security"]["passed"]
    console.print(
        styled(
            f"plan of stack {document['stack']} ({document['region']}): "
            f"{document['resource_count']} resources, security checks ",
            ("passed", "green") if passed else ("FAILED", "bold red"),
            "" if passed else " (graviton-llm plan shows why)",
        )
    )
    for cluster in document["clusters"]:
        print_cluster(console, cluster)
    print_total_cost(console, document["total_cost"])
