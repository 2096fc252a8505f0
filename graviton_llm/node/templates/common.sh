# ---- common steps (graviton_llm/node/templates/common.sh), after the rendered header --------
# Tunables the tests shorten; real nodes keep the defaults.
readonly POLL_SECONDS="${GRAVITON_LLM_POLL_SECONDS:-10}"
readonly BACKOFF_SECONDS="${GRAVITON_LLM_BACKOFF_SECONDS:-5}"
readonly ATTEMPTS="${GRAVITON_LLM_ATTEMPTS:-5}"
readonly READY_TIMEOUT="${GRAVITON_LLM_READY_TIMEOUT_SECONDS:-$READY_TIMEOUT_SECONDS}"
readonly IMDS="${GRAVITON_LLM_IMDS_URL:-http://169.254.169.254}"
readonly LOG_FILE="${ROOT}/var/log/graviton-llm-boot.log"
readonly COMPLETE_MARKER="${ROOT}${MODEL_DIR}/${COMPLETE_MARKER_NAME}"
readonly MODEL_STORE_BIN="${ROOT}${MODEL_STORE}"

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
    echo "graviton-llm: ${JOB} FAILED in step ${STEP} (exit ${rc}); log: ${LOG_FILE}" >&2
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

setup_region() {
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
  # The CLI's S3 settings (tune_s3) serve the boot and the units alike.
  export AWS_CONFIG_FILE="${ROOT}${AWS_CLI_CONFIG}"
  install_file "$AWS_ENV_FILE" 0644 <<EOF
AWS_DEFAULT_REGION=${region}
AWS_CONFIG_FILE=${AWS_CONFIG_FILE}
EOF
}

install_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y docker || fail "could not install docker"
  fi
  systemctl enable --now docker
}

# S3 at instance speed. AWS CLI v2 always has the CRT transfer client, which `auto` picks only on
# a few instance types: chosen here, aimed at the instance's network bandwidth (AWS CLI v2
# topics/s3-config.rst; it takes its part size from multipart_chunksize). CLI v1 has no CRT and
# ignores those keys; its classic client takes the concurrency and the part size (v1
# customizations/s3/transferconfig.py). One file serves both: no version check.
tune_s3() {
  install_file "$AWS_CLI_CONFIG" 0644 <<EOF
[default]
s3 =
  preferred_transfer_client = crt
  target_bandwidth = ${S3_TARGET_GBPS}Gb/s
  max_concurrent_requests = 64
  multipart_chunksize = 16MB
EOF
}

download_weights() {
  local listing_file="${ROOT}${WEIGHTS_LISTING}" listing summary
  if [ -f "$COMPLETE_MARKER" ]; then
    echo "graviton-llm: weights already complete in ${MODEL_DIR}; not downloading again"
    return 0
  fi
  mkdir -p "${ROOT}${MODEL_DIR}"
  # [key, size, ETag] per object, as JSON that model-store reads (never parsed here): is it a
  # model directory, and the weights' identity, part of the compiled artifacts' key.
  listing="$(retry "$ATTEMPTS" aws s3api list-objects-v2 --bucket "$WEIGHTS_BUCKET" \
    --prefix "$WEIGHTS_PREFIX" --query 'Contents[].[Key, Size, ETag]' --output json)" \
    || fail "cannot list ${WEIGHTS_URI}: the bucket must exist and the node role be allowed to read it (error above)"
  printf '%s\n' "$listing" >"$listing_file"
  summary="$("$MODEL_STORE_BIN" weights-check "$listing_file")" \
    || fail "nothing to serve under ${WEIGHTS_URI} (above)"
  echo "graviton-llm: downloading ${summary#* } bytes in ${summary%% *} files from ${WEIGHTS_URI}"
  # --delete: files left by an interrupted earlier run that S3 no longer has would break the check.
  retry "$ATTEMPTS" aws s3 sync --only-show-errors --delete "$WEIGHTS_URI" "${ROOT}${MODEL_DIR}" \
    || fail "download of ${WEIGHTS_URI} failed after ${ATTEMPTS} attempts"
  "$MODEL_STORE_BIN" weights-verify "$listing_file" \
    || fail "the weights on disk are not what ${WEIGHTS_URI} lists (above)"
  touch "$COMPLETE_MARKER"
}

# Ready means /health answers and one real completion succeeds, within the predicted cold start.
# With an API key the probe sends it from a root-only header file, never on curl's command line.
wait_ready() {
  local auth=() probe_headers="" deadline
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
  rm -f "$probe_headers"
}

# What every node script does before its own work (boot.sh, compile.sh): Docker, the node's files,
# S3 tuning, the weights, the image and the systemd units, each its own step.
install_node() {
  step "install-docker"
  install_docker

  step "install-files"
  mkdir -p "${ROOT}${ARTIFACTS_DIR}"
  write_node_files

  step "tune-s3"
  tune_s3

  step "download-weights"
  download_weights

  step "pull-image"
  retry "$ATTEMPTS" docker pull "$IMAGE" || fail "cannot pull ${IMAGE}"

  step "install-units"
  systemctl daemon-reload
}
