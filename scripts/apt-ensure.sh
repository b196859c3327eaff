#!/usr/bin/env bash
# Usage: apt-ensure.sh COMMAND PACKAGE
# Installs Debian's PACKAGE with apt when COMMAND is missing (as root, or through sudo).
set -euo pipefail

command_name=$1
package=$2

if command -v "$command_name" >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "apt-ensure.sh: $command_name is missing and installing $package needs root (or sudo)" >&2
    exit 1
fi

"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
