#!/usr/bin/env bash
# Builds, once, the images that stand in for the public ones where no image registry can be
# reached: a Debian bookworm base (debootstrap + `docker import`), and from it Python 3.11,
# Redis 7 and Kafka 3.9.1 (the jars of scripts/setup-kafka.sh). An image is rebuilt only when
# its inputs changed (a hash kept in its `org.orderflow.inputs` label), so a second run takes
# seconds. Prints the variables that make docker-compose.yml and the Dockerfile use them.
#
# Usage: scripts/docker-images.sh        (needs a running Docker engine, root for debootstrap)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images_dir="$repo_root/infra/docker"
work_dir="$repo_root/.cache/docker"
label=org.orderflow.inputs

BASE_IMAGE=${BASE_IMAGE:-orderflow-base:bookworm}
PYTHON_IMAGE=${PYTHON_IMAGE:-orderflow-python:3.11}
REDIS_IMAGE=${REDIS_IMAGE:-orderflow-redis:7}
KAFKA_IMAGE=${KAFKA_IMAGE:-orderflow-kafka:3.9.1}

built_inputs() {
    docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true
}

image_id() {
    docker image inspect -f '{{ .Id }}' "$1"
}

# The hash of a directory's files (names and contents) and of the parent image.
inputs_of() {
    local dir=$1 parent=$2
    {
        (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
        [[ -n $parent ]] && image_id "$parent"
    } | sha256sum | cut -c1-16
}

# The base trusts the host's own extra CAs (/usr/local/share/ca-certificates): behind a
# TLS-inspecting proxy, apt, pip and uv in image builds then work as they do on the host.
local_cas=/usr/local/share/ca-certificates

build_base() {
    local inputs
    inputs="$( { echo 'debootstrap minbase bookworm v1'; cat "$local_cas"/*.crt 2>/dev/null; } \
        | sha256sum | cut -c1-16)"
    if [[ "$(built_inputs "$BASE_IMAGE")" == "$inputs" ]]; then
        echo "docker-images: $BASE_IMAGE is up to date"
        return
    fi
    "$repo_root/scripts/apt-ensure.sh" debootstrap debootstrap
    local started=$SECONDS rootfs="$work_dir/rootfs"
    rm -rf "$rootfs"
    mkdir -p "$work_dir"
    debootstrap --variant=minbase bookworm "$rootfs" >"$work_dir/debootstrap.log" 2>&1 \
        || { tail -20 "$work_dir/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    if compgen -G "$local_cas/*.crt" >/dev/null; then
        mkdir -p "$rootfs$local_cas"
        cp "$local_cas"/*.crt "$rootfs$local_cas/"
    fi
    tar -C "$rootfs" -c . | docker import --change "LABEL $label=$inputs" \
        --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    echo "docker-images: $BASE_IMAGE made in $((SECONDS - started))s"
}

# build_image NAME DIR: docker build of DIR (its Dockerfile) FROM the base image.
build_image() {
    local name=$1 context=$2 inputs started=$SECONDS
    inputs="$(inputs_of "$context" "$BASE_IMAGE")"
    if [[ "$(built_inputs "$name")" == "$inputs" ]]; then
        echo "docker-images: $name is up to date"
        return
    fi
    DOCKER_BUILDKIT=0 docker build --quiet --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --label "$label=$inputs" -t "$name" "$context" >"$work_dir/build-${name//[:\/]/-}.log" 2>&1 \
        || { tail -30 "$work_dir/build-${name//[:\/]/-}.log" >&2; exit 1; }
    echo "docker-images: $name built in $((SECONDS - started))s"
}

# The Kafka image's context: its own files plus the broker jars, hard-linked (no copy).
kafka_context() {
    local context="$work_dir/kafka-context"
    "$repo_root/scripts/setup-kafka.sh"
    rm -rf "$context"
    mkdir -p "$context"
    cp -al "$repo_root/.cache/kafka/libs" "$context/libs"
    cp -p "$images_dir"/kafka/* "$repo_root/infra/kafka/log4j.properties" "$context/"
    echo "$context"
}

mkdir -p "$work_dir"
build_base
build_image "$PYTHON_IMAGE" "$images_dir/python"
build_image "$REDIS_IMAGE" "$images_dir/redis"
build_image "$KAFKA_IMAGE" "$(kafka_context)"
