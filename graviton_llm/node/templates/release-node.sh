# ---- body (graviton_llm/node/templates/release-node.sh), after the rendered settings --------
# Runs at every boot (the graviton-llm-release unit): once vLLM answers /health, complete this
# node's launch lifecycle hook so the group puts it in service; heartbeat the hook meanwhile.
imds="${GRAVITON_LLM_IMDS_URL:-http://169.254.169.254}"
poll="${GRAVITON_LLM_POLL_SECONDS:-10}"
heartbeat_every="${GRAVITON_LLM_HEARTBEAT_SECONDS:-$HEARTBEAT_SECONDS}"

token="$(curl -fsS --max-time 5 --retry 5 -X PUT \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${imds}/latest/api/token")"
meta() {
  curl -fsS --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: ${token}" "${imds}/latest/meta-data/$1"
}
instance="$(meta instance-id)"
group="$(meta tags/instance/aws:autoscaling:groupName)"
hook=(--lifecycle-hook-name "$LIFECYCLE_HOOK" --auto-scaling-group-name "$group" --instance-id "$instance")

deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
last_heartbeat=$SECONDS
until curl -fsS --max-time 5 "http://127.0.0.1:${PORT}/health" >/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "vLLM not healthy after ${READY_TIMEOUT_SECONDS}s" >&2
    exit 1
  fi
  if [ $((SECONDS - last_heartbeat)) -ge "$heartbeat_every" ]; then
    aws autoscaling record-lifecycle-action-heartbeat "${hook[@]}" >/dev/null 2>&1 || true
    last_heartbeat=$SECONDS
  fi
  sleep "$poll"
done

# "No active Lifecycle Action" (a plain reboot, nothing pending) is not an error.
if ! out="$(aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE "${hook[@]}" 2>&1)"; then
  case "$out" in
    *"No active Lifecycle Action"*) ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi
if [ "$UNPROTECT" = "1" ]; then
  aws autoscaling set-instance-protection --instance-ids "$instance" \
    --auto-scaling-group-name "$group" --no-protected-from-scale-in
fi
