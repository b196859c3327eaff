#!/usr/bin/env bash
# For `make test`: a Docker engine that answers, and the local images (scripts/docker-images.sh).
# Installs docker.io and starts dockerd when none answers and this is root (no DOCKER_HOST set);
# its log goes to .cache/docker/dockerd.log. Where Docker cannot run it prints one line and exits
# 0: the compose tests then skip and the session's Kafka and Redis are local processes.
# ORDERFLOW_TEST_DOCKER=0 skips all of it.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="$repo_root/.cache/docker/dockerd.log"
answer_timeout_s=60

cannot() {
    echo "docker: $1; the compose tests skip and the tests use local Kafka and Redis"
    exit 0
}

answers() {
    docker info >/dev/null 2>&1
}

start_engine() {
    [[ -z ${DOCKER_HOST:-} ]] || cannot "no engine answers at DOCKER_HOST=$DOCKER_HOST"
    [[ $(id -u) -eq 0 ]] || cannot "no engine answers, and starting one needs root"
    "$repo_root/scripts/apt-ensure.sh" dockerd docker.io || cannot "docker.io did not install"
    command -v docker >/dev/null 2>&1 || cannot "no docker command after installing docker.io"
    mkdir -p "$(dirname "$log")"
    # Published ports through iptables instead of docker-proxy: measured here, a Redis PING over
    # 127.0.0.1 took 1.2 ms through the proxy, 0.6 ms without it (0.5 ms to a local process).
    setsid dockerd --userland-proxy=false >>"$log" 2>&1 </dev/null &
    local deadline=$((SECONDS + answer_timeout_s))
    until answers; do
        kill -0 $! 2>/dev/null || cannot "dockerd exited ($(tail -1 "$log"))"
        ((SECONDS < deadline)) || cannot "dockerd did not answer within ${answer_timeout_s}s ($log)"
        sleep 1
    done
    echo "docker: started dockerd (pid $!, log $log)"
}

[[ ${ORDERFLOW_TEST_DOCKER:-1} != 0 ]] || cannot "off (ORDERFLOW_TEST_DOCKER=0)"
answers || start_engine
exec "$repo_root/scripts/docker-images.sh"
