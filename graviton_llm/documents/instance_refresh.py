"""The StartInstanceRefresh request that rolls a new launch template version out, with a rollback
that really goes back.

The AWS provider writes the new version into the group first and then starts its refresh, so an
automatic rollback "returns" to the new version (terraform-provider-aws resourceGroupUpdate;
hashicorp/terraform-provider-aws#34189, open). AWS's own way is a refresh whose
`DesiredConfiguration` carries the new version while the group keeps the old one: "Once the
instance refresh succeeds, Amazon EC2 Auto Scaling updates the settings of the Auto Scaling group
to reflect the new desired configuration", and a rollback replaces instances to "match the
configuration that you last saved on the Auto Scaling group" (EC2 Auto Scaling API
StartInstanceRefresh; user guide, "Undo changes with a manual or auto rollback"). The cluster's
group therefore ignores template version changes and components/instance_refresh.py sends this.
"""

from __future__ import annotations

from typing import Any


def refresh_preferences(
    *,
    min_healthy_percent: int,
    max_healthy_percent: int,
    warmup_seconds: int,
    auto_rollback: bool,
    alarms: list[str],
    bake_time_seconds: int = 0,
) -> dict[str, Any]:
    """RefreshPreferences: replace one node at a time, skip nodes already on the version, roll
    back on failure or on any of ``alarms`` (at most 10, AlarmSpecification)."""
    preferences: dict[str, Any] = {
        "MinHealthyPercentage": min_healthy_percent,
        "MaxHealthyPercentage": max_healthy_percent,
        "InstanceWarmup": warmup_seconds,
        "SkipMatching": True,
        "AutoRollback": auto_rollback,
        # Nodes protected from scale-in while booting are still replaced by a refresh.
        "ScaleInProtectedInstances": "Refresh",
        "StandbyInstances": "Ignore",
    }
    if alarms:
        preferences["AlarmSpecification"] = {"Alarms": alarms[:10]}
    if bake_time_seconds:
        preferences["BakeTime"] = bake_time_seconds
    return preferences


def start_instance_refresh_request(
    *,
    group_name: str,
    launch_template_id: str,
    version: str,
    preferences: dict[str, Any],
    spot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Keyword arguments of autoscaling StartInstanceRefresh. ``spot`` (instance types and the
    on-demand floor) makes the desired configuration a mixed instances policy, as the group's."""
    template = {"LaunchTemplateId": launch_template_id, "Version": version}
    if spot is None:
        desired: dict[str, Any] = {"LaunchTemplate": template}
    else:
        desired = {
            "MixedInstancesPolicy": {
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": template,
                    "Overrides": [{"InstanceType": t} for t in spot["instance_types"]],
                },
                "InstancesDistribution": {
                    "OnDemandBaseCapacity": spot["on_demand_base_capacity"],
                    "OnDemandPercentageAboveBaseCapacity": 0,
                    "SpotAllocationStrategy": "capacity-optimized",
                },
            }
        }
    return {
        "AutoScalingGroupName": group_name,
        "Strategy": "Rolling",
        "DesiredConfiguration": desired,
        "Preferences": preferences,
    }


# DescribeInstanceRefreshes Status values (botocore autoscaling model, InstanceRefreshStatus).
SUCCEEDED = frozenset({"Successful"})
REJECTED = frozenset({"Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"})
RUNNING = frozenset({"Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress"})


def desired_template(desired: dict[str, Any] | None) -> tuple[str, str] | None:
    """(launch template id, version) a DesiredConfiguration moves the group to."""
    if not isinstance(desired, dict):
        return None
    template = desired.get("LaunchTemplate")
    if template is None:
        policy = desired.get("MixedInstancesPolicy") or {}
        template = (policy.get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    if not isinstance(template, dict):
        return None
    identity = template.get("LaunchTemplateId") or template.get("LaunchTemplateName")
    version = template.get("Version")
    return (str(identity), str(version)) if identity and version is not None else None


def describe_outcome(refresh: dict[str, Any]) -> str:
    """One line an operator reads: status, progress, reason, and the rollback's cause."""
    status = refresh.get("Status", "unknown")
    parts = [f"{refresh.get('InstanceRefreshId', '?')} {status}"]
    if refresh.get("PercentageComplete") is not None:
        parts.append(f"{refresh['PercentageComplete']:g}% complete")
    if refresh.get("InstancesToUpdate") is not None:
        parts.append(f"{refresh['InstancesToUpdate']:g} to update")
    target = desired_template(refresh.get("DesiredConfiguration"))
    if target is not None:
        parts.append(f"to {target[0]} version {target[1]}")
    if refresh.get("StatusReason"):
        parts.append(f"reason: {refresh['StatusReason']}")
    rollback = refresh.get("RollbackDetails") or {}
    if rollback.get("RollbackReason"):
        parts.append(f"rollback: {rollback['RollbackReason']}")
    return "; ".join(parts)


def group_after(refresh: dict[str, Any]) -> str:
    """What the group runs after a refresh that did not succeed. Only a rollback puts every
    instance back: a refresh that failed or was cancelled without one (AutoRollback off, or
    a cancel) leaves the instances it already replaced on the new version. Either way the
    group's own configuration stays the previous version (AWS writes the desired
    configuration only on success), so a scale-out launches that one."""
    status = refresh.get("Status")
    target = desired_template(refresh.get("DesiredConfiguration"))
    version = f"version {target[1]}" if target else "the new version"
    if status == "RollbackSuccessful":
        return "rolled back: every instance runs the group's previous version again"
    if status == "RollbackFailed":
        return (
            f"its rollback failed too: instances may run {version} or the previous one, and "
            "a scale-out launches the previous one"
        )
    done = refresh.get("PercentageComplete")
    if not done:
        return "stopped before replacing an instance: the group runs its previous version"
    return (
        f"stopped at {done:g}% without a rollback: the instances it replaced run {version}, "
        "the others (and any scale-out) the group's previous version"
    )


def next_steps(retry: float | None = None) -> str:
    """What an operator can do about a rejected version (``retry``: what it last ran with)."""
    above = "" if retry is None else f" above {retry:g}"
    return (
        f"fix the cause and deploy a new version, or raise rollout.retry{above} to run this one "
        "again; to change the stack meanwhile without rolling anything out, set rollout.hold: "
        "true"
    )
