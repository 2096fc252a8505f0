#!/bin/bash
# graviton-llm boot script for r8g.16xlarge (cpu). Do not edit: change the stack's args.
set -euo pipefail
# GRAVITON_LLM_ROOT prefixes every path so tests can run this script in a sandbox.
readonly ROOT="${GRAVITON_LLM_ROOT:-}"
readonly WEIGHTS_URI=s3://team-weights/llama-3.1-8b-instruct/
readonly WEIGHTS_BUCKET=team-weights
readonly WEIGHTS_PREFIX=llama-3.1-8b-instruct/
readonly MODEL_ID=meta-llama/Llama-3.1-8B-Instruct
readonly PROBE_BODY='{"model": "meta-llama/Llama-3.1-8B-Instruct", "prompt": "ping", "max_tokens": 1}'
readonly IMAGE=vllm/vllm-openai-cpu:v0.33.0-arm64
readonly PORT=8000
readonly DEPLOY_REGION=''
readonly API_KEY_PARAMETER=''
readonly API_KEY_FILE=/run/graviton-llm/api-key
readonly AWS_ENV_FILE=/opt/graviton-llm/etc/aws.env
readonly MODEL_DIR=/opt/graviton-llm/model
readonly ARTIFACTS_DIR=/opt/graviton-llm/compiled
readonly VLLM_UNIT=graviton-llm-vllm.service
readonly METRICS_UNIT=graviton-llm-metrics.service
readonly READY_TIMEOUT_SECONDS=240

write_node_files() {
install_file /opt/graviton-llm/bin/run-vllm 0755 <<'GRAVITON_LLM_FILE'
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
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-vllm.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=vLLM OpenAI-compatible server (graviton-llm)
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target
StartLimitIntervalSec=1800
StartLimitBurst=5

[Service]
Type=simple
EnvironmentFile=/opt/graviton-llm/etc/aws.env
ExecStart=/opt/graviton-llm/bin/run-vllm
ExecStop=/usr/bin/docker stop --time 30 graviton-llm-vllm
Restart=on-failure
RestartSec=15
TimeoutStartSec=300
TimeoutStopSec=60
LimitNOFILE=1048576
LimitMEMLOCK=infinity
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-vllm

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-metrics.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=Prometheus metrics exporter (graviton-llm)
Requires=docker.service
After=docker.service

[Service]
Type=simple
ExecStartPre=-/usr/bin/docker rm -f graviton-llm-node-exporter
ExecStart=/usr/bin/docker run --rm --name graviton-llm-node-exporter --net=host --pid=host -v /:/host:ro,rslave quay.io/prometheus/node-exporter:v1.9.1 --path.rootfs=/host --web.listen-address=:9100
Restart=always
RestartSec=15
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-metrics

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/bin/release-node 0755 <<'GRAVITON_LLM_FILE'
#!/bin/bash
# Puts this node in service once vLLM answers (rendered by graviton-llm).
set -euo pipefail
readonly PORT=8000
readonly READY_TIMEOUT_SECONDS=240
readonly LIFECYCLE_HOOK=graviton-llm-boot
readonly HEARTBEAT_SECONDS=300
readonly UNPROTECT=0
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
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-release.service 0644 <<'GRAVITON_LLM_FILE'
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
SyslogIdentifier=graviton-llm-release

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml 0644 <<'GRAVITON_LLM_FILE'
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
- job_name: latency
  static_configs:
  - targets:
    - localhost:9101
    labels:
      AutoScalingGroupName: __GRAVITON_LLM_ASG_NAME__
GRAVITON_LLM_FILE
install_file /opt/aws/amazon-cloudwatch-agent/etc/graviton-llm.json 0644 <<'GRAVITON_LLM_FILE'
{"agent":{"metrics_collection_interval":60},"logs":{"metrics_collected":{"prometheus":{"log_group_name":"/graviton-llm/graviton-llm/metrics","prometheus_config_path":"/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml","emf_processor":{"metric_namespace":"GravitonLLM","metric_declaration":[{"source_labels":["job"],"label_matcher":"^vllm$","dimensions":[["AutoScalingGroupName"]],"metric_selectors":["^vllm:num_requests_waiting$","^vllm:num_requests_running$"]},{"source_labels":["job"],"label_matcher":"^latency$","dimensions":[["AutoScalingGroupName"]],"metric_selectors":["^graviton_llm_e2e_latency_p50_seconds$","^graviton_llm_e2e_latency_p99_seconds$","^graviton_llm_ttft_p99_seconds$"]},{"source_labels":["job"],"label_matcher":"^vllm$","dimensions":[["AutoScalingGroupName","status"]],"metric_selectors":["^http_requests_total$"]}]}}},"force_flush_interval":5}}
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/bin/latency-exporter 0755 <<'GRAVITON_LLM_FILE'
#!/usr/bin/python3
"""Latency percentiles for CloudWatch, from vLLM's Prometheus histograms. Runs on every node.

The CloudWatch agent drops Prometheus histograms ("histogram metric type are dropped", CloudWatch
agent guide, Prometheus metric type conversion), and vLLM reports latency only as histograms. So
this small exporter scrapes vLLM's /metrics, takes each histogram's bucket counts over the last
interval, interpolates p50/p90/p99 inside the bucket as Prometheus's histogram_quantile does, and
serves them as gauges the agent keeps. Standard library only, Python 3.9+ (AL2023's python3):
the node installs this file as it is.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HISTOGRAMS = {
    "vllm:e2e_request_latency_seconds": "graviton_llm_e2e_latency",
    "vllm:time_to_first_token_seconds": "graviton_llm_ttft",
}
QUANTILES = (0.5, 0.9, 0.99)
_BUCKET = re.compile(r"^([a-zA-Z_:][\w:]*)_bucket\{(.*)\}\s+(\S+)")
_LE = re.compile(r'le="([^"]+)"')


def parse_buckets(text: str) -> dict[str, dict[float, float]]:
    """{histogram: {upper bound: cumulative count}}, summed over label sets (models, engines)."""
    found: dict[str, dict[float, float]] = {}
    for line in text.splitlines():
        match = _BUCKET.match(line)
        if match is None or match.group(1) not in HISTOGRAMS:
            continue
        le = _LE.search(match.group(2))
        if le is None:
            continue
        bound = math.inf if le.group(1) == "+Inf" else float(le.group(1))
        counts = found.setdefault(match.group(1), {})
        counts[bound] = counts.get(bound, 0.0) + float(match.group(3))
    for name, counts in found.items():
        if math.inf not in counts:  # cut off mid-answer: not a distribution
            raise ValueError(f"{name} has no +Inf bucket: the answer is incomplete")
    return found


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """The q-quantile of cumulative bucket counts, linear within the bucket (None: no data).
    Like Prometheus: a quantile in the +Inf bucket is the largest finite bound."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def window(now: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    """Counts of the requests that finished between two scrapes (a restart resets to now)."""
    if any(now.get(bound, 0.0) < count for bound, count in before.items()):
        return dict(now)
    return {bound: count - before.get(bound, 0.0) for bound, count in now.items()}


def render(previous: dict[str, dict[float, float]], current: dict[str, dict[float, float]]) -> str:
    lines = []
    for histogram, name in HISTOGRAMS.items():
        if histogram not in current:
            continue
        recent = window(current[histogram], previous.get(histogram, {}))
        for q in QUANTILES:
            value = quantile(q, recent)
            if value is not None:  # no requests: no sample, so the alarm sees missing data
                metric = f"{name}_p{round(q * 100)}_seconds"
                lines += [f"# TYPE {metric} gauge", f"{metric} {value:.6f}"]
    return "\n".join(lines) + "\n"


class Exporter:
    def __init__(self, source: str, interval: float) -> None:
        self.source, self.interval = source, interval
        self.previous: dict[str, dict[float, float]] = {}
        self.text = "\n"

    def scrape_once(self) -> None:
        with urllib.request.urlopen(self.source, timeout=10) as response:
            current = parse_buckets(response.read().decode())
        self.text = render(self.previous, current)
        self.previous = current

    def step(self) -> None:
        """One scrape. Whatever goes wrong (vLLM down, a truncated or malformed answer), the
        percentiles are withdrawn rather than left stale, the log says why, and the next
        interval tries again: the alarm then sees missing data, not old values."""
        try:
            self.scrape_once()
        except Exception as error:  # the loop must outlive any bad answer
            self.text = "\n"
            print(
                f"graviton-llm-latency: scrape of {self.source} failed ({error!r}); "
                "serving no percentiles until a good scrape",
                file=sys.stderr,
                flush=True,
            )

    def run(self) -> None:
        while True:
            self.step()
            time.sleep(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vllm-port", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=30.0)
    options = parser.parse_args()
    exporter = Exporter(f"http://127.0.0.1:{options.vllm_port}/metrics", options.interval)
    threading.Thread(target=exporter.run, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = exporter.text.encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", options.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-latency.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=vLLM latency percentiles for the CloudWatch agent (graviton-llm)
After=graviton-llm-vllm.service

[Service]
Type=simple
ExecStart=/usr/bin/python3 /opt/graviton-llm/bin/latency-exporter --vllm-port 8000 --port 9101
Restart=always
RestartSec=15
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-latency

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
}

check_accelerator() {
  : # vLLM's CPU backend needs no device
}

readonly MONITORING=1
readonly RELEASE_UNIT=graviton-llm-release.service
readonly LATENCY_UNIT=graviton-llm-latency.service
readonly LIFECYCLE_HOOK=graviton-llm-boot
readonly HEARTBEAT_SECONDS=300
readonly CLOUDWATCH_DIR=/opt/aws/amazon-cloudwatch-agent/etc
readonly ASG_NAME_PLACEHOLDER=__GRAVITON_LLM_ASG_NAME__

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

step "done"
echo "graviton-llm: node released to group ${asg_name}"
