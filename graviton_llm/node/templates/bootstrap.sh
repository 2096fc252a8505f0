# Fails closed: a missing or changed agent, or a bad config (the agent checks it), stops the
# node before anything starts, saying why on the console and in the boot log; its launch hook
# is never completed.
R="${GRAVITON_LLM_ROOT:-}"
LOG="$R/var/log/graviton-llm-boot.log" CONFIG="$R/opt/graviton-llm/etc/node.json"
AGENT="$R/opt/graviton-llm/bin/graviton-llm-agent"
mkdir -p "${LOG%/*}" "${CONFIG%/*}" "${AGENT%/*}"
exec > >(tee -a "$LOG") 2>&1
fail() {
  set -- "graviton-llm: boot FAILED in step bootstrap: $*; nothing was started"
  echo "$1" >&2
  { [ -w "$R/dev/console" ] && echo "$1" >"$R/dev/console"; } 2>/dev/null || true
  exit 1
}
sum() { sha256sum "$1" | cut -d ' ' -f 1; }
echo "graviton-llm: [$(date -u +%FT%TZ)] step: bootstrap"
umask 022
config >"$CONFIG"
if [ ! -f "$AGENT" ] || [ "$(sum "$AGENT")" != "$AGENT_SHA256" ]; then
  # The bucket's region; unpinned (rendered without one), S3 redirects the CLI to it.
  region="${AGENT_REGION:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}"
  where="s3://$AGENT_BUCKET/$AGENT_KEY" tmp="$(mktemp "$AGENT.XXXXXX")"
  for n in 1 2 3 4 5; do
    aws s3api get-object --region "$region" --bucket "$AGENT_BUCKET" --key "$AGENT_KEY" "$tmp" >/dev/null 2>"$tmp.err" && break
    cat "$tmp.err" >&2
    if [ $n = 5 ] || grep -Eq 'NoSuch|AccessDenied|Forbidden|Not Found' "$tmp.err"; then
      fail "cannot fetch the node agent $where (above): \`pulumi up\` publishes it; the node role reads it"
    fi
    sleep $((n * ${GRAVITON_LLM_BACKOFF_SECONDS:-2}))
  done
  got="$(sum "$tmp")"
  [ "$got" = "$AGENT_SHA256" ] || fail "the node agent $where has SHA-256 $got, not the pinned $AGENT_SHA256: it changed after it was published; \`pulumi up\` publishes it again"
  chmod 0755 "$tmp" && mv -f "$tmp" "$AGENT" && rm -f "$tmp.err"
fi
exec "$AGENT" "$JOB"
