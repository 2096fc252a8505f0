check_accelerator() {
  local found=0 device
  PATH="${PATH}:/opt/aws/neuron/bin"
  neuron-ls >/dev/null || fail "neuron-ls failed: no Neuron driver; use the Neuron base DLAMI"
  for device in "${ROOT}"/dev/neuron[0-9]*; do
    if [ -e "$device" ]; then
      found=$((found + 1))
    fi
  done
  if [ "$found" -ne @CHIPS@ ]; then
    fail "expected @CHIPS@ Neuron devices (/dev/neuron0..@LAST_CHIP@), found ${found}"
  fi
}
