"""The real processes (front door, workers, status API) on the session's Kafka and Redis."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import pytest

from orderflow.infra.ports import free_port
from orderflow.stack import LocalStack
from orders.settings import Settings

StackFactory = Callable[..., LocalStack]


def stack_settings(
    prefix: str, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Settings:
    """A test stack's settings: its own topics, keys, group and ports (`None` drops a value)."""
    status_port = free_port()
    values: dict[str, Any] = {
        "topic_prefix": prefix,
        "redis_namespace": prefix,
        "worker_group": f"{prefix}-workers",
        "worker_data_dir": str(tmp_path_factory.mktemp("faust")),
        "producer_port": free_port(),
        "status_api_port": status_port,
        "status_api_public_url": f"http://127.0.0.1:{status_port}",
        "payment_timeout_s": 0.05,
        "payment_attempts": 2,
        **overrides,
    }
    return Settings(**{k: v for k, v in values.items() if v is not None})


@pytest.fixture
def stack_factory(
    kafka_bootstrap: str,
    redis_url: str,
    unique_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StackFactory]:
    """Start a stack with settings overridden by keyword (`workers=N` for the worker count;
    `kafka_bootstrap_servers=None` or `redis_url=None`: the stack starts its own server, and
    `brokers=3` makes its Kafka a three-node cluster); every stack started is stopped at the
    end of the test."""
    with ExitStack() as started:

        def start(workers: int = 2, brokers: int = 1, **overrides: Any) -> LocalStack:
            servers = {"kafka_bootstrap_servers": kafka_bootstrap, "redis_url": redis_url}
            settings = stack_settings(unique_prefix, tmp_path_factory, **{**servers, **overrides})
            local = LocalStack(  # random ports for servers it starts: no other test takes them
                settings,
                workers=workers,
                brokers=brokers,
                log_dir=tmp_path_factory.mktemp("logs"),
                fixed_ports=False,
            )
            context: AbstractContextManager[LocalStack] = local
            return started.enter_context(context)

        yield start


@pytest.fixture
def stack(stack_factory: StackFactory) -> LocalStack:
    return stack_factory()
