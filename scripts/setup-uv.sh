#!/usr/bin/env bash
# Installs uv (pinned) when it is missing; uv then installs Python deps from uv.lock.
set -euo pipefail
UV_VERSION=0.13.8
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
