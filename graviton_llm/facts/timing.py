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
