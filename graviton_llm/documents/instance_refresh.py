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
