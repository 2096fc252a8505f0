
# ---- cluster operations (graviton_llm/node/templates/operations.sh), once the node serves ---
# Monitoring never keeps a serving node out of service: a failure here is logged loudly and
# shows in the cluster's metrics-missing alarm, and the node is released all the same.
setup_monitoring() {
  local scrape_config ctl
  # A literal replacement (no sed: a name is never a program); bash 5.2 would read an unquoted
  # & in the replacement as the match, so that option is off.
  shopt -u patsub_replacement 2>/dev/null || true
  scrape_config="${ROOT}${CLOUDWATCH_DIR}/prometheus.yaml"
  scrape="$(<"$scrape_config")" || return 1
  printf '%s\n' "${scrape//"$ASG_NAME_PLACEHOLDER"/"$asg_name"}" >"$scrape_config" || return 1
  systemctl enable --now "$LATENCY_UNIT" || { echo "graviton-llm: cannot start ${LATENCY_UNIT}" >&2; return 1; }
  # The package installs the control script here (CloudWatch agent user guide).
  ctl="${ROOT}/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
  if [ ! -x "$ctl" ] && ! command -v amazon-cloudwatch-agent-ctl >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y amazon-cloudwatch-agent \
      || { echo "graviton-llm: could not install the CloudWatch agent" >&2; return 1; }
  fi
  [ -x "$ctl" ] || ctl=amazon-cloudwatch-agent-ctl
  "$ctl" -a fetch-config -m ec2 -s -c "file:${CLOUDWATCH_DIR}/graviton-llm.json" \
    || { echo "graviton-llm: the CloudWatch agent refused its configuration" >&2; return 1; }
}

if [ "$MONITORING" = "1" ]; then
  step "cloudwatch-agent"
  if ! setup_monitoring; then
    echo "graviton-llm: WARNING: monitoring does not run on this node (see above); it serves without metrics and the cluster's metrics-missing alarm will fire" >&2
  fi
fi

step "release-node"
# A oneshot unit, so a node that comes back from the warm pool (user data does not run again)
# also completes its launch lifecycle hook once vLLM serves.
systemctl enable --now "$RELEASE_UNIT" || fail "cannot start ${RELEASE_UNIT}; see: journalctl -u ${RELEASE_UNIT}"

if [ -n "$PUBLISH_UNIT" ]; then
  step "publish-artifacts"
  # The node serves: a set it compiled goes to the cache, for the next nodes. A failure only
  # warns (the node serves all the same), and the unit tries again at the next boot.
  systemctl enable --now "$PUBLISH_UNIT" \
    || echo "graviton-llm: WARNING: compiled artifacts not published; see: journalctl -u ${PUBLISH_UNIT}" >&2
fi

step "done"
echo "graviton-llm: node released to group ${asg_name}"
