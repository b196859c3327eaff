#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the board test (tests/e2e/test_board.py) drives
# it headless through Playwright, which is told to use this binary (no browser download).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup-chromium.sh: chromium is missing and installing it needs root (or sudo)" >&2
    exit 1
fi

"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
