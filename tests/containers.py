"""Kafka and Redis for the test session from testcontainers, when a Docker engine answers.

The images are the public ones (apache/kafka:3.9.1, redis:7) unless KAFKA_IMAGE / REDIS_IMAGE
name others, or the local stand-ins of scripts/docker-images.sh exist (no registry needed).
Ports are published on 127.0.0.1 only, and Kafka advertises the published port, so processes
on the host reach the broker. ORDERFLOW_TEST_DOCKER=0 turns all of this off.
"""

from __future__ import annotations

import functools
import gc
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from orderflow.infra import InfraError
from orderflow.infra.ports import free_port

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

# image variable -> (local stand-in from scripts/docker-images.sh, public image)
IMAGES = {
    "KAFKA_IMAGE": ("orderflow-kafka:3.9.1", "apache/kafka:3.9.1"),
    "REDIS_IMAGE": ("orderflow-redis:7", "redis:7"),
    "PYTHON_IMAGE": ("orderflow-python:3.11", "python:3.11-slim-bookworm"),
}
_START_TIMEOUT_S = 120.0

# One KRaft node advertised on the host port; the rest as orderflow.infra.LocalKafka runs it.
_KAFKA_ENV = {
    "CLUSTER_ID": "5L6g3nShT-eMCtK--X86sw",
    "KAFKA_NODE_ID": "1",
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
    "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
    "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "4",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_MIN_INSYNC_REPLICAS": "1",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
    "KAFKA_HEAP_OPTS": "-Xmx512m -Xms64m",
}


def docker_disabled() -> bool:
    return os.environ.get("ORDERFLOW_TEST_DOCKER", "1") == "0"


@functools.cache
def docker_version() -> str | None:
    """The engine's version when one answers (honouring DOCKER_HOST), else None."""
    if docker_disabled():
        return None
    # Importing and probing docker without an engine leaks a socket (a ResourceWarning, which
    # filterwarnings=error would turn into a failure), so only probe when an engine may exist.
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return _engine_version()
        finally:
            gc.collect()  # a failed probe's socket is finalised here, while its warning is off


def _engine_version() -> str | None:
    import docker  # type: ignore[import-untyped]

    try:
        client = docker.from_env(timeout=3)
    except (docker.errors.DockerException, OSError):
        return None
    try:
        return str(client.version()["Version"])
    except (docker.errors.DockerException, OSError):
        return None
    finally:
        client.close()


def docker_answers() -> bool:
    return docker_version() is not None


@functools.cache
def image(variable: str) -> str:
    """The image to use: $variable, else the local stand-in when it exists, else the public one."""
    if chosen := os.environ.get(variable):
        return chosen
    local, public = IMAGES[variable]
    import docker

    client = docker.from_env(timeout=10)
    try:
        client.images.get(local)
    except docker.errors.ImageNotFound:
        return public
    finally:
        client.close()
    return local


def kafka_container() -> tuple[DockerContainer, str]:
    """A started Kafka container and its bootstrap address on the host."""
    from testcontainers.core.container import DockerContainer

    port = free_port()
    kafka = DockerContainer(image("KAFKA_IMAGE")).with_envs(
        **_KAFKA_ENV, KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{port}"
    )
    kafka.ports["9092/tcp"] = ("127.0.0.1", port)  # loopback only; with_bind_ports has no host
    bootstrap = f"127.0.0.1:{port}"
    _start(kafka, "Kafka Server started", lambda: _kafka_answers(bootstrap))
    return kafka, bootstrap


def redis_container() -> tuple[DockerContainer, str]:
    """A started Redis container and its URL on the host."""
    from testcontainers.core.container import DockerContainer

    port = free_port()
    redis = DockerContainer(image("REDIS_IMAGE"))
    redis.ports["6379/tcp"] = ("127.0.0.1", port)
    url = f"redis://127.0.0.1:{port}/0"
    _start(redis, "Ready to accept connections", lambda: _redis_answers(url))
    return redis, url


def _start(container: DockerContainer, started_line: str, answers: Callable[[], bool]) -> None:
    """Start, then wait for the server's startup log line and a real answer, with a deadline.

    A port published by Docker accepts connections before the server inside listens, so the
    log line comes first. Without a registry an engine can answer yet lack the image: then
    InfraError, and the fixture tries its next source.
    """
    from docker.errors import DockerException

    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # Ryuk's image is unreachable
    try:
        container.start()
    except (DockerException, OSError) as exc:
        container.stop()
        raise InfraError(f"container {container.image} did not start: {exc}") from exc
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        if wrapped.status != "running":
            break
        if started_line in container.get_logs()[0].decode(errors="replace") and answers():
            return
        time.sleep(0.5)
    logs = b"".join(container.get_logs()).decode(errors="replace")[-2000:]
    container.stop()
    raise InfraError(f"container {container.image} did not become ready:\n{logs}")


def _kafka_answers(bootstrap: str) -> bool:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=2)
    except KafkaException:
        return False
    return True


def _redis_answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=2) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
