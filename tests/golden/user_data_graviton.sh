#!/bin/bash
# graviton-llm boot script, rendered for meta-llama/Llama-3.1-8B-Instruct on r8g.16xlarge (cpu). Do not edit: change the stack's args.
set -euo pipefail
# GRAVITON_LLM_ROOT prefixes every path so tests can run this script in a sandbox.
readonly ROOT="${GRAVITON_LLM_ROOT:-}"
readonly WEIGHTS_URI=s3://team-weights/llama-3.1-8b-instruct/
readonly MODEL_ID=meta-llama/Llama-3.1-8B-Instruct
readonly IMAGE=vllm/vllm-openai-cpu:v0.33.0-arm64
readonly PORT=8000
readonly APP_DIR=/opt/graviton-llm
readonly MODEL_DIR=/opt/graviton-llm/model
readonly ARTIFACTS_DIR=/opt/graviton-llm/compiled
readonly VLLM_UNIT=graviton-llm-vllm.service
readonly METRICS_UNIT=graviton-llm-metrics.service
readonly READY_TIMEOUT_SECONDS=240

write_runner() {
cat <<'GRAVITON_LLM_RUNNER'
#!/bin/bash
# Runs the vLLM container in the foreground for systemd (rendered by graviton-llm).
set -euo pipefail
docker rm -f graviton-llm-vllm >/dev/null 2>&1 || true
exec docker run \
  --rm \
  --name graviton-llm-vllm \
  --log-driver journald \
  -p 8000:8000 \
  -v /opt/graviton-llm/model:/models/model:ro \
  --ulimit nofile=1048576:1048576 \
  --cap-add SYS_NICE \
  --security-opt seccomp=unconfined \
  --shm-size 4g \
  --env=VLLM_CPU_KVCACHE_SPACE=16 \
  --env=VLLM_CPU_OMP_THREADS_BIND=auto \
  --entrypoint vllm \
  vllm/vllm-openai-cpu:v0.33.0-arm64 serve /models/model \
  --served-model-name meta-llama/Llama-3.1-8B-Instruct \
  --dtype bfloat16 \
  --tensor-parallel-size 1 \
  --max-model-len 4096 \
  --max-num-seqs 32 \
  --max-num-batched-tokens 4096 \
  --port 8000 \
  --enable-prefix-caching
GRAVITON_LLM_RUNNER
}

write_vllm_unit() {
cat <<'GRAVITON_LLM_UNIT'
[Unit]
Description=vLLM OpenAI-compatible server (graviton-llm)
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/opt/graviton-llm/bin/run-vllm
ExecStop=/usr/bin/docker stop --time 30 graviton-llm-vllm
Restart=on-failure
RestartSec=15
TimeoutStopSec=60
LimitNOFILE=1048576
LimitMEMLOCK=infinity
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_UNIT
}

write_metrics_unit() {
cat <<'GRAVITON_LLM_UNIT'
[Unit]
Description=Prometheus metrics exporter (graviton-llm)
Requires=docker.service
After=docker.service

[Service]
Type=simple
ExecStart=/usr/bin/docker run --rm --name graviton-llm-node-exporter --net=host --pid=host -v /:/host:ro,rslave quay.io/prometheus/node-exporter:v1.9.1 --path.rootfs=/host --web.listen-address=:9100
Restart=always
RestartSec=15
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_UNIT
}

readonly MONITORING=1
readonly RELEASE_UNIT=graviton-llm-release.service
readonly CLOUDWATCH_DIR=/opt/aws/amazon-cloudwatch-agent/etc
readonly ASG_NAME_PLACEHOLDER=__GRAVITON_LLM_ASG_NAME__

write_release_script() {
cat <<'GRAVITON_LLM_RELEASE'
#!/bin/bash
# Puts this node in service once vLLM answers (rendered by graviton-llm).
set -euo pipefail
imds="${GRAVITON_LLM_IMDS:-http://169.254.169.254}"
deadline=$((SECONDS + 240))
until curl -fsS --max-time 5 http://127.0.0.1:8000/health >/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then echo "vLLM not healthy" >&2; exit 1; fi
  sleep "${GRAVITON_LLM_POLL_SECONDS:-10}"
done
token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${imds}/latest/api/token")"
meta() { curl -fsS -H "X-aws-ec2-metadata-token: ${token}" "${imds}/latest/meta-data/$1"; }
instance="$(meta instance-id)"
group="$(meta tags/instance/aws:autoscaling:groupName)"
if ! out="$(aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE --lifecycle-hook-name graviton-llm-boot --auto-scaling-group-name "$group" --instance-id "$instance" 2>&1)"; then
  case "$out" in *"No active Lifecycle Action"*) ;; *) echo "$out" >&2; exit 1 ;; esac
fi
GRAVITON_LLM_RELEASE
}

write_release_unit() {
cat <<'GRAVITON_LLM_UNIT'
[Unit]
Description=Put this node in service once vLLM serves (graviton-llm)
Requires=graviton-llm-vllm.service
After=graviton-llm-vllm.service

[Service]
Type=oneshot
ExecStart=/opt/graviton-llm/bin/release-node
RemainAfterExit=yes
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_UNIT
}

write_prometheus_config() {
cat <<'GRAVITON_LLM_PROMETHEUS'
global:
  scrape_interval: 30s
  scrape_timeout: 10s
scrape_configs:
- job_name: vllm
  static_configs:
  - targets:
    - localhost:8000
    labels:
      AutoScalingGroupName: __GRAVITON_LLM_ASG_NAME__
GRAVITON_LLM_PROMETHEUS
}

write_cloudwatch_agent_config() {
cat <<'GRAVITON_LLM_CLOUDWATCH'
{
  "agent": {
    "metrics_collection_interval": 60
  },
  "logs": {
    "metrics_collected": {
      "prometheus": {
        "prometheus_config_path": "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml",
        "emf_processor": {
          "metric_declaration_dedup": true,
          "metric_namespace": "GravitonLLM",
          "metric_declaration": [
            {
              "source_labels": [
                "job"
              ],
              "label_matcher": "^vllm$",
              "dimensions": [
                [
                  "AutoScalingGroupName"
                ]
              ],
              "metric_selectors": [
                "^vllm:num_requests_waiting$",
                "^vllm:num_requests_running$",
                "^vllm:e2e_request_latency_seconds_sum$",
                "^vllm:e2e_request_latency_seconds_count$"
              ]
            },
            {
              "source_labels": [
                "job"
              ],
              "label_matcher": "^vllm$",
              "dimensions": [
                [
                  "AutoScalingGroupName",
                  "status"
                ]
              ],
              "metric_selectors": [
                "^http_requests_total$"
              ]
            }
          ]
        }
      }
    },
    "force_flush_interval": 5
  }
}
GRAVITON_LLM_CLOUDWATCH
}

# ---- common boot steps (graviton_llm/templates/boot.sh), after the rendered header ----------
# Tunables the tests shorten; real nodes keep the defaults.
readonly POLL_SECONDS="${GRAVITON_LLM_POLL_SECONDS:-10}"
readonly BACKOFF_SECONDS="${GRAVITON_LLM_BACKOFF_SECONDS:-5}"
readonly ATTEMPTS="${GRAVITON_LLM_ATTEMPTS:-5}"
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
  if [ "$rc" -ne 0 ]; then
    echo "graviton-llm: boot FAILED in step ${STEP} (exit ${rc}); log: ${LOG_FILE}" >&2
  fi
}
trap report_exit EXIT

# retry N CMD...: run CMD up to N times with exponential backoff.
retry() {
  local attempts="$1" n=1
  shift
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      return 1
    fi
    echo "graviton-llm: attempt ${n}/${attempts} failed: $*; retrying in $((BACKOFF_SECONDS * 2 ** (n - 1)))s"
    sleep "$((BACKOFF_SECONDS * 2 ** (n - 1)))"
    n=$((n + 1))
  done
}

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
  listing="$(retry "$ATTEMPTS" aws s3 ls --recursive "$WEIGHTS_URI")" \
    || fail "cannot list ${WEIGHTS_URI}: check the bucket, the prefix and the node role"
  # Expected: count and bytes of every object (keys ending in / are folder markers).
  expected="$(printf '%s\n' "$listing" | awk 'NF >= 4 && $4 !~ /\/$/ { n++; s += $3 } END { print n + 0, s + 0 }')"
  if [ "${expected%% *}" -eq 0 ]; then
    fail "no objects under ${WEIGHTS_URI}: upload the model directory there first"
  fi
  retry "$ATTEMPTS" aws s3 sync --only-show-errors "$WEIGHTS_URI" "${ROOT}${MODEL_DIR}" \
    || fail "download of ${WEIGHTS_URI} failed after ${ATTEMPTS} attempts"
  actual="$(find "${ROOT}${MODEL_DIR}" -type f ! -name .graviton-llm-complete -printf '%s\n' | awk '{ n++; s += $1 } END { print n + 0, s + 0 }')"
  if [ "$expected" != "$actual" ]; then
    fail "weights incomplete: expected ${expected} (files bytes) from ${WEIGHTS_URI}, found ${actual}"
  fi
  [ -f "${ROOT}${MODEL_DIR}/config.json" ] || fail "no config.json under ${WEIGHTS_URI}: not a model directory"
  touch "$COMPLETE_MARKER"
fi

step "pull-image"
retry "$ATTEMPTS" docker pull "$IMAGE" || fail "cannot pull ${IMAGE}"

step "install-units"
mkdir -p "${ROOT}${APP_DIR}/bin" "${ROOT}${ARTIFACTS_DIR}" "${ROOT}/etc/systemd/system"
write_runner >"${ROOT}${APP_DIR}/bin/run-vllm"
chmod 0755 "${ROOT}${APP_DIR}/bin/run-vllm"
write_vllm_unit >"${ROOT}/etc/systemd/system/${VLLM_UNIT}"
write_metrics_unit >"${ROOT}/etc/systemd/system/${METRICS_UNIT}"
systemctl daemon-reload
systemctl enable --now "$METRICS_UNIT"
systemctl enable --now "$VLLM_UNIT"

step "wait-ready"
# Ready means /health answers and one real completion succeeds, within the predicted cold start.
deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
probe_body="$(printf '{"model": "%s", "prompt": "ping", "max_tokens": 1}' "$MODEL_ID")"
until curl -fsS --max-time 10 "http://127.0.0.1:${PORT}/health" >/dev/null 2>&1 \
  && curl -fsS --max-time 60 -H 'Content-Type: application/json' -d "$probe_body" \
    "http://127.0.0.1:${PORT}/v1/completions" >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "vLLM not ready after ${READY_TIMEOUT_SECONDS}s; see: journalctl -u ${VLLM_UNIT}"
  fi
  sleep "$POLL_SECONDS"
done

step "ready"
echo "graviton-llm: serving ${MODEL_ID} on port ${PORT}"

# ---- cluster operations (graviton_llm/templates/operations.sh), once the node serves --------
readonly IMDS="${GRAVITON_LLM_IMDS:-http://169.254.169.254}"

step "discover-group"
# IMDSv2; the launch template exposes instance tags, among them the group's name.
imds_token="$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")" \
  || fail "instance metadata (IMDSv2) unreachable"
imds() {
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${imds_token}" "${IMDS}/latest/meta-data/$1"
}
asg_name="$(imds tags/instance/aws:autoscaling:groupName)" \
  || fail "no aws:autoscaling:groupName tag in instance metadata: is instance_metadata_tags enabled?"

if [ "$MONITORING" = "1" ]; then
  step "cloudwatch-agent"
  if ! command -v amazon-cloudwatch-agent-ctl >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y amazon-cloudwatch-agent || fail "could not install the CloudWatch agent"
  fi
  mkdir -p "${ROOT}${CLOUDWATCH_DIR}"
  write_prometheus_config | sed "s/${ASG_NAME_PLACEHOLDER}/${asg_name}/g" >"${ROOT}${CLOUDWATCH_DIR}/prometheus.yaml"
  write_cloudwatch_agent_config >"${ROOT}${CLOUDWATCH_DIR}/graviton-llm.json"
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${CLOUDWATCH_DIR}/graviton-llm.json"
fi

step "release-node"
# A oneshot unit, so a node that comes back from the warm pool (user data does not run again)
# also completes its launch lifecycle hook once vLLM serves.
write_release_script >"${ROOT}${APP_DIR}/bin/release-node"
chmod 0755 "${ROOT}${APP_DIR}/bin/release-node"
write_release_unit >"${ROOT}/etc/systemd/system/${RELEASE_UNIT}"
systemctl daemon-reload
systemctl enable --now "$RELEASE_UNIT"

step "done"
echo "graviton-llm: node released to group ${asg_name}"
