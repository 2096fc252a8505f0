
# ---- cluster operations (graviton_llm/templates/operations.sh), once the node serves --------
step "discover-group"
# IMDSv2; the launch template exposes instance tags, among them the group's name.
imds_token="$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")" \
  || fail "instance metadata (IMDSv2) unreachable"
asg_name="$(curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${imds_token}" \
  "${IMDS}/latest/meta-data/tags/instance/aws:autoscaling:groupName")" \
  || fail "no aws:autoscaling:groupName tag in instance metadata: is instance_metadata_tags enabled?"

if [ "$MONITORING" = "1" ]; then
  step "cloudwatch-agent"
  sed -i "s/${ASG_NAME_PLACEHOLDER}/${asg_name}/g" "${ROOT}${CLOUDWATCH_DIR}/prometheus.yaml"
  if ! command -v amazon-cloudwatch-agent-ctl >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y amazon-cloudwatch-agent || fail "could not install the CloudWatch agent"
  fi
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${CLOUDWATCH_DIR}/graviton-llm.json" \
    || fail "the CloudWatch agent refused its configuration"
fi

step "release-node"
# A oneshot unit, so a node that comes back from the warm pool (user data does not run again)
# also completes its launch lifecycle hook once vLLM serves.
systemctl enable --now "$RELEASE_UNIT" || fail "cannot start ${RELEASE_UNIT}; see: journalctl -u ${RELEASE_UNIT}"

step "done"
echo "graviton-llm: node released to group ${asg_name}"
