# ---- common boot steps (graviton_llm/node/templates/boot.sh), after the rendered header -----
# Tunables the tests shorten; real nodes keep the defaults.
readonly POLL_SECONDS="${GRAVITON_LLM_POLL_SECONDS:-10}"
readonly BACKOFF_SECONDS="${GRAVITON_LLM_BACKOFF_SECONDS:-5}"
readonly ATTEMPTS="${GRAVITON_LLM_ATTEMPTS:-5}"
readonly READY_TIMEOUT="${GRAVITON_LLM_READY_TIMEOUT_SECONDS:-$READY_TIMEOUT_SECONDS}"
readonly IMDS="${GRAVITON_LLM_IMDS_URL:-http://169.254.169.254}"
readonly LOG_FILE="${ROOT}/var/log/graviton-llm-boot.log"
readonly COMPLETE_MARKER="${ROOT}${MODEL_DIR}/.graviton-llm-complete"

mkdir -p "$(dirname "$LOG_FILE")"
# Every line goes to the log file and to the console (EC2 "Get system log").
exec > >(tee -a "$LOG_FILE") 2>&1

STEP="start"
step() {
  STEP="$1"
  echo "graviton-llm: [$(date -u +%FT%TZ)] step: ${STEP}"
}
fail() {
  echo "graviton-llm: FAILED in step '${STEP}': $*" >&2
  exit 1
}
report_exit() {
  local rc=$?
  if [ -n "${heartbeat_pid:-}" ]; then
    pkill -P "$heartbeat_pid" 2>/dev/null || true
    kill "$heartbeat_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "graviton-llm: boot FAILED in step ${STEP} (exit ${rc}); log: ${LOG_FILE}" >&2
  fi
}
trap report_exit EXIT

# retry N CMD...: run CMD up to N times with exponential backoff (messages on stderr, so
# `x="$(retry ...)"` captures only the output). Errors that no retry can fix
# (a missing bucket or parameter, access denied) end the retries at once, with status 2.
retry() {
  local attempts="$1" n=1 err
  shift
  err="$(mktemp)"
  until "$@" 2>"$err"; do
    cat "$err" >&2
    if grep -Eq 'NoSuchBucket|InvalidBucketName|AccessDenied|ParameterNotFound' "$err"; then
      rm -f "$err"
      return 2
    fi
    if [ "$n" -ge "$attempts" ]; then
      rm -f "$err"
      return 1
    fi
    echo "graviton-llm: attempt ${n}/${attempts} failed: $*; retrying in $((BACKOFF_SECONDS * 2 ** (n - 1)))s" >&2
    sleep "$((BACKOFF_SECONDS * 2 ** (n - 1)))"
    n=$((n + 1))
  done
  cat "$err" >&2
  rm -f "$err"
}

# install_file PATH MODE < CONTENT
install_file() {
  local path="${ROOT}$1"
  mkdir -p "$(dirname "$path")"
  cat >"$path"
  chmod "$2" "$path"
}

imds_region() {
  local token
  token="$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")"
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/latest/meta-data/placement/region"
}

step "region"
# The AWS CLI reads credentials from instance metadata but never the region.
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-$DEPLOY_REGION}}"
if [ -z "$region" ]; then
  region="$(retry "$ATTEMPTS" imds_region)" || fail "cannot read the region from instance metadata (IMDSv2)"
fi
# It lands in a systemd EnvironmentFile: nothing but a region name may get there.
if [[ ! "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then
  fail "'${region}' is not an AWS region name"
fi
export AWS_DEFAULT_REGION="$region"
install_file "$AWS_ENV_FILE" 0644 <<<"AWS_DEFAULT_REGION=${region}"

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

step "install-docker"
if ! command -v docker >/dev/null 2>&1; then
  retry "$ATTEMPTS" dnf install -y docker || fail "could not install docker"
fi
systemctl enable --now docker

step "download-weights"
if [ -f "$COMPLETE_MARKER" ]; then
  echo "graviton-llm: weights already complete in ${MODEL_DIR}; not downloading again"
else
  mkdir -p "${ROOT}${MODEL_DIR}"
  # "<size>\t<key>" per object; "None" when the prefix is empty (keys ending in / are folder
  # markers, which sync does not create).
  listing="$(retry "$ATTEMPTS" aws s3api list-objects-v2 --bucket "$WEIGHTS_BUCKET" \
    --prefix "$WEIGHTS_PREFIX" --query 'Contents[].[Size, Key]' --output text)" \
    || fail "cannot list ${WEIGHTS_URI}: the bucket must exist and the node role be allowed to read it (error above)"
  expected="$(printf '%s\n' "$listing" | awk -F '\t' 'NF >= 2 && $2 !~ /\/$/ { n++; s += $1 } END { print n + 0, s + 0 }')"
  if [ "${expected%% *}" -eq 0 ]; then
    fail "no objects under ${WEIGHTS_URI}: upload the model directory (config.json, *.safetensors, tokenizer) there first"
  fi
  # The key reaches awk through its environment: `-v` would interpret backslashes in it.
  if ! printf '%s\n' "$listing" | CONFIG_KEY="${WEIGHTS_PREFIX}config.json" awk -F '\t' '$2 == ENVIRON["CONFIG_KEY"] { found = 1 } END { exit !found }'; then
    fail "no config.json directly under ${WEIGHTS_URI}: not a Hugging Face model directory"
  fi
  echo "graviton-llm: downloading ${expected#* } bytes in ${expected%% *} files from ${WEIGHTS_URI}"
  # --delete: files left by an interrupted earlier run that S3 no longer has would break the count.
  retry "$ATTEMPTS" aws s3 sync --only-show-errors --delete "$WEIGHTS_URI" "${ROOT}${MODEL_DIR}" \
    || fail "download of ${WEIGHTS_URI} failed after ${ATTEMPTS} attempts"
  actual="$(find "${ROOT}${MODEL_DIR}" -type f ! -name .graviton-llm-complete -printf '%s\n' | awk '{ n++; s += $1 } END { print n + 0, s + 0 }')"
  if [ "$expected" != "$actual" ]; then
    fail "weights incomplete: expected ${expected} (files bytes) from ${WEIGHTS_URI}, found ${actual}"
  fi
  touch "$COMPLETE_MARKER"
fi

step "pull-image"
retry "$ATTEMPTS" docker pull "$IMAGE" || fail "cannot pull ${IMAGE}"

step "install-units"
mkdir -p "${ROOT}${ARTIFACTS_DIR}"
write_node_files
systemctl daemon-reload

step "start-services"
systemctl enable --now "$METRICS_UNIT" || fail "cannot start ${METRICS_UNIT}; see: journalctl -u ${METRICS_UNIT}"
systemctl enable --now "$VLLM_UNIT" || fail "cannot start ${VLLM_UNIT}; see: journalctl -u ${VLLM_UNIT}"

step "wait-ready"
# Ready means /health answers and one real completion succeeds, within the predicted cold start.
# With an API key the probe sends it from a root-only header file, never on curl's command line.
auth=()
if [ -n "$API_KEY_PARAMETER" ]; then
  probe_headers="${ROOT}${API_KEY_FILE}.probe-headers"
  (umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "${ROOT}${API_KEY_FILE}")" >"$probe_headers")
  auth=(-H "@${probe_headers}")
fi
deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS --max-time 10 "http://127.0.0.1:${PORT}/health" >/dev/null 2>&1 \
  && curl -fsS --max-time 60 "${auth[@]}" -H 'Content-Type: application/json' -d "$PROBE_BODY" \
    "http://127.0.0.1:${PORT}/v1/completions" >/dev/null 2>&1; do
  if systemctl is-failed --quiet "$VLLM_UNIT"; then
    fail "${VLLM_UNIT} failed (it stopped restarting); see: journalctl -u ${VLLM_UNIT}"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "vLLM not ready after ${READY_TIMEOUT}s; see: journalctl -u ${VLLM_UNIT}"
  fi
  sleep "$POLL_SECONDS"
done
rm -f "${probe_headers:-}"

step "ready"
echo "graviton-llm: serving ${MODEL_ID} on port ${PORT}"
