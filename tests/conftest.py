"""Shared test setup: real Kafka and Redis servers for integration and end-to-end tests.

Each server comes from the first source that applies: a testcontainers container when a Docker
engine answers (tests/containers.py; ORDERFLOW_TEST_DOCKER=0 turns it off), else the address in
ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS / ORDERFLOW_REDIS_URL, else a child process started for the
session (orderflow.infra). When none works the fixture fails: integration tests are never
skipped silently, in CI or elsewhere. The terminal summary says which source served each.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from orderflow.infra import InfraError, LocalKafka, LocalRedis, ensure_kafka_libs
from orders.settings import Settings
from tests import containers

REPO_ROOT = Path(__file__).resolve().parents[1]

_log = logging.getLogger(__name__)

# What served each session server: "Kafka" -> "testcontainers (image) at address", ...
_served: dict[str, str] = {}

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
            _served[what] = f"{_describe(source)} at {address}"
            return address
    in_ci = os.environ.get("CI") == "true"
    pytest.fail(
        f"no {what} server for integration tests{' in CI' if in_ci else ''}:\n"
        + ("\n".join(failures) or "no source applied"),
        pytrace=False,
    )


def _describe(source: Source) -> str:
    name = source.__name__
    if name in ("_kafka_container", "_redis_container"):
        variable = "KAFKA_IMAGE" if name == "_kafka_container" else "REDIS_IMAGE"
        return f"testcontainers ({containers.image(variable)})"
    if name == "from_settings":
        return "the ORDERFLOW_* setting"
    return "a local process (orderflow.infra)"


def pytest_report_header() -> str:
    if containers.docker_disabled():
        return "docker: off (ORDERFLOW_TEST_DOCKER=0)"
    version = containers.docker_version()
    return f"docker: engine {version}" if version else "docker: no engine answers"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for what, source in sorted(_served.items()):
        terminalreporter.write_line(f"{what} for the session: {source}")


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


def _kafka_container(stack: ExitStack, factory: pytest.TempPathFactory) -> str | None:
    if not containers.docker_answers():
        return None
    started = time.monotonic()
    kafka, bootstrap = containers.kafka_container()
    stack.callback(kafka.stop)
    _log.info("Kafka container %s ready in %.1fs", kafka.image, time.monotonic() - started)
    return bootstrap


def _redis_container(stack: ExitStack, factory: pytest.TempPathFactory) -> str | None:
    if not containers.docker_answers():
        return None
    redis, url = containers.redis_container()
    stack.callback(redis.stop)
    return url
