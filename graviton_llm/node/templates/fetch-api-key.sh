umask 077
mkdir -p "$(dirname "$KEY_FILE")"
tmp="$(mktemp "${KEY_FILE}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
for attempt in 1 2 3 4 5; do
  if aws ssm get-parameter --with-decryption --name "$PARAMETER" \
    --query Parameter.Value --output text >"$tmp" 2>"$tmp.err"; then
    rm -f "$tmp.err"
    if [ ! -s "$tmp" ]; then
      echo "graviton-llm: SSM parameter ${PARAMETER} is empty" >&2
      exit 1
    fi
    mv -f "$tmp" "$KEY_FILE"
    exit 0
  fi
  cat "$tmp.err" >&2
  if grep -Eq 'ParameterNotFound|AccessDenied|InvalidKeyId' "$tmp.err"; then
    break
  fi
  sleep "$((attempt * 2))"
done
rm -f "$tmp.err"
echo "graviton-llm: cannot read the API key from SSM parameter ${PARAMETER}" \
  "(it must exist as a SecureString the node role may read, ssm:GetParameter + kms:Decrypt)" >&2
exit 1
