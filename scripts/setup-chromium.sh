#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the board test (tests/e2e/test_board.py) drives
# it headless through Playwright, which is told to use this binary (no browser download).
set -euo pipefail
exec "$(dirname "$0")/apt-ensure.sh" chromium chromium
