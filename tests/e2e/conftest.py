"""The real processes (front door, two workers, status API) on the session's Kafka and Redis."""

from collections.abc import Iterator

import pytest

from orderflow.infra.ports import free_port
from orderflow.stack import LocalStack
from orders.settings import Settings


@pytest.fixture
def stack(
    kafka_bootstrap: str,
    redis_url: str,
    unique_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    status_port = free_port()
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        topic_prefix=unique_prefix,
        redis_namespace=unique_prefix,
        worker_group=f"{unique_prefix}-workers",
        worker_data_dir=str(tmp_path_factory.mktemp("faust")),
        producer_port=free_port(),
        status_api_port=status_port,
        status_api_public_url=f"http://127.0.0.1:{status_port}",
        payment_timeout_s=0.05,
        payment_attempts=2,
    )
    with LocalStack(settings, workers=2, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running
