#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing; the tests start their own instances.
set -euo pipefail
exec "$(dirname "$0")/apt-ensure.sh" redis-server redis-server
