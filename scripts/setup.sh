#!/usr/bin/env bash
# Creates .venv with the package and its test tools. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# The boot-script tests check the systemd units with `systemd-analyze verify` (Debian package
# systemd). Installed only when missing; apt-get update runs once, only then.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd
  else
    echo "setup: systemd-analyze not found; install the systemd package (tests need it)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
