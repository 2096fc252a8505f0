umask 077
mkdir -p "$(dirname "$KEY_FILE")"
tmp="$(mktemp "${KEY_FILE}.XXXXXX")"
trap 'rm -f "$tmp" "$tmp.err"' EXIT

# read_parameter NAME SHOWN: NAME's decrypted value into $tmp. Messages say SHOWN, never NAME
# when they differ (a name read from a pointer is secret: the AWS CLI's own error text, which
# quotes it, is reduced to its error code).
read_parameter() {
  local name="$1" shown="$2" attempt
  for attempt in 1 2 3 4 5; do
    if aws ssm get-parameter --with-decryption --name "$name" \
      --query Parameter.Value --output text >"$tmp" 2>"$tmp.err"; then
      if [ ! -s "$tmp" ]; then
        echo "graviton-llm: SSM parameter ${shown} is empty" >&2
        exit 1
      fi
      return 0
    fi
    if [ "$name" = "$shown" ]; then
      cat "$tmp.err" >&2
    else
      echo "graviton-llm: reading the SSM parameter ${shown} failed:" \
        "$(grep -Eo '\([A-Za-z]+\)' "$tmp.err" | head -n 1 || true)" >&2
    fi
    if grep -Eq 'ParameterNotFound|AccessDenied|InvalidKeyId' "$tmp.err"; then
      break
    fi
    sleep "$((attempt * 2))"
  done
  echo "graviton-llm: cannot read the API key from SSM parameter ${shown}" \
    "(it must exist as a SecureString the node role may read, ssm:GetParameter + kms:Decrypt)" >&2
  exit 1
}

if [ -n "$POINTER" ]; then
  read_parameter "$POINTER" "$POINTER"
  name="$(cat "$tmp")"
  read_parameter "$name" "named in ${POINTER}"
else
  read_parameter "$PARAMETER" "$PARAMETER"
fi
rm -f "$tmp.err"
mv -f "$tmp" "$KEY_FILE"
