"""Shared test setup: real Kafka and Redis servers for integration and end-to-end tests.

Each server comes from the first source that applies: a testcontainers container when a Docker
engine answers, else the address in ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS / ORDERFLOW_REDIS_URL,
else a child process started for the session (orderflow.infra). When none works the fixture
fails: integration tests are never skipped silently, in CI or elsewhere.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from orderflow.infra import InfraError, LocalKafka, LocalRedis, ensure_kafka_libs
from orders.settings import Settings

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.1"  # Confluent Platform 7.9 ships Apache Kafka 3.9
REDIS_IMAGE = "redis:7.0"

_log = logging.getLogger(__name__)

_Container = TypeVar("_Container", bound="DockerContainer")

# A source returns an address, or None when it does not apply here (no Docker, no env var).
Source = Callable[[ExitStack, pytest.TempPathFactory], str | None]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(REPO_ROOT / "tests" / "integration"):
            item.add_marker(pytest.mark.integration)
        elif item.path.is_relative_to(REPO_ROOT / "tests" / "e2e"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def unique_prefix() -> str:
    """A per-test prefix for topic, group and key names, so tests never see each other's data."""
    return f"t-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sources = [_kafka_container, _configured("kafka_bootstrap_servers"), _local_kafka]
    with ExitStack() as stack:
        yield _first_working("Kafka", sources, stack, tmp_path_factory)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sources = [_redis_container, _configured("redis_url"), _local_redis]
    with ExitStack() as stack:
        yield _first_working("Redis", sources, stack, tmp_path_factory)


def _first_working(
    what: str, sources: list[Source], stack: ExitStack, factory: pytest.TempPathFactory
) -> str:
    failures: list[str] = []
    for source in sources:
        try:
            address = source(stack, factory)
        except InfraError as exc:
            failures.append(f"{source.__name__}: {exc}")
            continue
        if address is not None:
            return address
    in_ci = os.environ.get("CI") == "true"
    pytest.fail(
        f"no {what} server for integration tests{' in CI' if in_ci else ''}:\n"
        + ("\n".join(failures) or "no source applied"),
        pytrace=False,
    )


def _configured(field: str) -> Source:
    """The server named by the ORDERFLOW_* setting, only when it was set explicitly."""

    def from_settings(stack: ExitStack, factory: pytest.TempPathFactory) -> str | None:
        settings = Settings()
        return str(getattr(settings, field)) if field in settings.model_fields_set else None

    return from_settings


def _local_kafka(stack: ExitStack, factory: pytest.TempPathFactory) -> str:
    data_dir = factory.mktemp("kafka")
    kafka = LocalKafka(ensure_kafka_libs(REPO_ROOT), data_dir=data_dir)
    started = time.monotonic()
    stack.enter_context(kafka)
    _log.info("local Kafka started in %.1fs; log: %s", time.monotonic() - started, kafka.log_file)
    return kafka.bootstrap_servers


def _local_redis(stack: ExitStack, factory: pytest.TempPathFactory) -> str:
    redis = stack.enter_context(LocalRedis(data_dir=factory.mktemp("redis")))
    return redis.url


@functools.cache
def _docker_answers() -> bool:
    # Importing and probing docker without an engine leaks a socket (a ResourceWarning, which
    # filterwarnings=error would turn into a failure), so only probe when an engine may exist.
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        import docker  # type: ignore[import-untyped]

        try:
            return bool(docker.from_env(timeout=3).ping())
        except (docker.errors.DockerException, OSError):
            return False


def _kafka_container(stack: ExitStack, factory: pytest.TempPathFactory) -> str | None:
    if not _docker_answers():
        return None
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # Ryuk's image is unreachable
    from testcontainers.community.kafka import KafkaContainer

    kafka = _start_container(stack, KafkaContainer(KAFKA_IMAGE).with_kraft())
    return kafka.get_bootstrap_server()


def _redis_container(stack: ExitStack, factory: pytest.TempPathFactory) -> str | None:
    if not _docker_answers():
        return None
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # Ryuk's image is unreachable
    from testcontainers.community.redis import RedisContainer

    redis = _start_container(stack, RedisContainer(REDIS_IMAGE))
    host, port = redis.get_container_host_ip(), redis.get_exposed_port(redis.port)
    return f"redis://{host}:{port}/0"


def _start_container(stack: ExitStack, container: _Container) -> _Container:
    # Without a registry an engine can answer yet fail to pull: then the next source is tried.
    from docker.errors import DockerException  # type: ignore[import-untyped]

    try:
        container.start()
    except (DockerException, OSError) as exc:
        container.stop()
        raise InfraError(f"container {container.image} did not start: {exc}") from exc
    stack.callback(container.stop)
    return container
