"""How long a node may take, and how long the group waits for it: one place for every wait.

A node stays in Pending:Wait on its launch lifecycle hook until its boot script reports that it
serves, sending a heartbeat every few minutes meanwhile (downloads and the Neuron compile take
tens of minutes; sizing.py predicts how many). So the waits that follow InService only cover the
NLB's verdict on a node that already serves: AWS notes the health check grace period can be 0
when a launch lifecycle hook is used (EC2 Auto Scaling user guide, "Set the health check grace
period"), and an instance refresh's InstanceWarmup counts from InService (RefreshPreferences).
"""

from __future__ import annotations

# NLB target group health check on vLLM's /health: every 30 s, 3 results to change state.
HEALTH_CHECK_PATH = "/health"
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 3

# After InService: time for the NLB to mark a serving node healthy, twice over.
IN_SERVICE_SETTLE_SECONDS = 2 * HEALTH_CHECK_INTERVAL_SECONDS * HEALTHY_THRESHOLD

# The launch hook: a node that sends no heartbeat for 15 minutes (crashed, wedged) is abandoned
# and replaced; a booting node sends one every 5 minutes, however long its cold start.
LIFECYCLE_HEARTBEAT_TIMEOUT_SECONDS = 900
LIFECYCLE_HEARTBEAT_EVERY_SECONDS = 300


# Alarms evaluate one-minute periods (documents/alarms.py) and ELB metrics reach CloudWatch
# about a minute after their period ends; ours: one more minute for the alarm's own evaluation.
METRIC_DELIVERY_SECONDS = 60
ALARM_EVALUATION_SLACK_SECONDS = 60
# StartInstanceRefresh RefreshPreferences.BakeTime: 0-172800 s (botocore autoscaling model).
BAKE_TIME_MAX_SECONDS = 172_800


def bake_time_seconds(alarm_evaluation_minutes: int, *, alarms: bool) -> int:
    """How long a refresh stays open after its last node is in service, so an alarm can still
    fail (and, with AutoRollback, roll back) the refresh on the last (or only) new node: a
    finished refresh can no longer roll back ("You can't roll it back after it's finished",
    user guide, instance refresh rollback), and its alarms "fail the operation if an alarm
    threshold is met" only while it runs (API RefreshPreferences.AlarmSpecification).
    The alarm needs its evaluation periods of datapoints, their delivery and one evaluation.
    Without alarms there is nothing to wait for."""
    if not alarms:
        return 0
    window = (
        alarm_evaluation_minutes * 60 + METRIC_DELIVERY_SECONDS + ALARM_EVALUATION_SLACK_SECONDS
    )
    return min(window, BAKE_TIME_MAX_SECONDS)


def rollout_seconds(
    nodes: int, *, first_node_s: float, next_node_s: float, warmup_s: float, bake_s: float
) -> float:
    """About how long a refresh that replaces one node at a time runs: each node boots until
    it serves (the lifecycle hook holds it until then) and warms up, the first one compiling
    when the new version's artifacts are not cached yet, the others downloading them; then the
    refresh bakes."""
    nodes = max(nodes, 1)
    return first_node_s + (nodes - 1) * next_node_s + nodes * warmup_s + bake_s
