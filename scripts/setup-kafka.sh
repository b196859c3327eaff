#!/usr/bin/env bash
# Puts the Apache Kafka broker jars (resolved by infra/kafka/pom.xml) into .cache/kafka/libs.
# Idempotent: does nothing when the broker jar is already there. Needs Java 17 and Maven.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
libs_dir="$repo_root/.cache/kafka/libs"

if compgen -G "$libs_dir/kafka_2.13-*.jar" >/dev/null; then
    exit 0
fi

# Copy into a staging dir and rename, so an interrupted copy never looks complete.
mkdir -p "$(dirname "$libs_dir")"
staging="$(mktemp -d "$libs_dir.partial-XXXXXX")"
trap 'rm -rf "$staging"' EXIT

# Maven prints terminal escape codes even with -q; show its output only when it fails.
if ! output="$(cd "$repo_root/infra/kafka" \
        && mvn -q -B dependency:copy-dependencies -Dkafka.libs.dir="$staging" 2>&1)"; then
    printf '%s\n' "$output" >&2
    exit 1
fi
rm -rf "$libs_dir"
mv -T "$staging" "$libs_dir"
