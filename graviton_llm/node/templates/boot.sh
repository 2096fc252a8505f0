# ---- serving boot (graviton_llm/node/templates/boot.sh), after common.sh -------------------
step "region"
setup_region

step "check-accelerator"
# Before minutes of downloads: a node without its accelerator (wrong AMI, no driver) cannot serve.
check_accelerator

step "discover-group"
# IMDSv2; the launch template exposes instance tags, among them the group's name.
imds_token="$(curl -fsS --max-time 5 --retry 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")" \
  || fail "instance metadata (IMDSv2) unreachable"
imds_get() {
  curl -fsS --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: ${imds_token}" "${IMDS}/latest/meta-data/$1"
}
instance_id="$(imds_get instance-id)" || fail "no instance id in instance metadata"
asg_name="$(imds_get tags/instance/aws:autoscaling:groupName)" \
  || fail "no aws:autoscaling:groupName tag in instance metadata: is instance_metadata_tags enabled?"
# Both reach the CloudWatch agent's config and AWS CLI calls: only names the cluster can have.
# (A group is named from the cluster's name, which its args hold to these characters.)
[[ "$instance_id" =~ ^i-[0-9a-f]{8,17}$ ]] || fail "unexpected instance id '${instance_id}' in instance metadata"
[[ "$asg_name" =~ ^[A-Za-z0-9._-]{1,255}$ ]] \
  || fail "unexpected Auto Scaling group name '${asg_name}' in instance metadata (allowed: letters, digits, . _ -)"
# The launch hook holds this node out of service until the release unit reports it serves; a
# heartbeat every few minutes keeps it open through download and compile. If this script fails
# the heartbeats stop, and the group abandons and replaces the node after the hook's timeout
# (time enough to look at it with SSM first).
heartbeat_every="${GRAVITON_LLM_HEARTBEAT_SECONDS:-$HEARTBEAT_SECONDS}"
(
  while sleep "$heartbeat_every"; do
    aws autoscaling record-lifecycle-action-heartbeat --lifecycle-hook-name "$LIFECYCLE_HOOK" \
      --auto-scaling-group-name "$asg_name" --instance-id "$instance_id" || true
  done
) </dev/null >/dev/null 2>&1 &
heartbeat_pid=$!

install_node

step "start-services"
systemctl enable --now "$METRICS_UNIT" || fail "cannot start ${METRICS_UNIT}; see: journalctl -u ${METRICS_UNIT}"
# Its ExecStartPre readies the compiled artifacts first: this node's, or the cache's.
systemctl enable --now "$VLLM_UNIT" || fail "cannot start ${VLLM_UNIT}; see: journalctl -u ${VLLM_UNIT}"

step "wait-ready"
wait_ready

step "ready"
echo "graviton-llm: serving ${MODEL_ID} on port ${PORT}"
