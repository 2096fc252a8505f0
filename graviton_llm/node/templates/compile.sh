# ---- pre-warm (graviton_llm/node/templates/compile.sh), after common.sh --------------------
# Runs once on a one-off instance (`graviton-llm compile`): the node's weights, image, container
# command and model-store; vLLM compiles, the set goes to the artifact cache, and the instance
# powers off whatever happened (launched to terminate on shutdown).
power_off() {
  report_exit
  echo "graviton-llm: powering off"
  shutdown -h now || true
}
trap power_off EXIT

step "region"
setup_region

step "check-accelerator"
check_accelerator

install_node

step "check-cache"
# What the vLLM unit's ExecStartPre does: a set the cache holds for this key is downloaded and
# verified, and then there is nothing to compile.
"$MODEL_STORE_BIN" prepare
if "$MODEL_STORE_BIN" status; then
  step "done"
  echo "graviton-llm: the artifact cache already holds ${MODEL_ID} for these shapes; nothing to compile"
  exit 0
fi

step "compile"
systemctl start "$VLLM_UNIT" || fail "cannot start ${VLLM_UNIT}; see: journalctl -u ${VLLM_UNIT}"
wait_ready

step "publish-artifacts"
"$MODEL_STORE_BIN" publish || fail "could not publish the compiled artifacts (above)"
systemctl stop "$VLLM_UNIT" || true

step "done"
echo "graviton-llm: compiled ${MODEL_ID} and published it: the cluster's nodes now start from the cache"
