"""ensure_topics asks again when creating topics fails for a moment (a fenced KRaft broker)."""

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from orders.contracts import admin as admin_module
from orders.settings import Settings


class Listed:
    def __init__(self, partitions: int) -> None:
        self.partitions = dict.fromkeys(range(partitions))


class FakeAdmin:
    """Fails the first `failures` CreateTopics with `code`, then creates them."""

    def __init__(self, failures: int, code: int) -> None:
        self.failures, self.code = failures, code
        self.created: dict[str, int] = {}
        self.calls = 0

    def list_topics(self, timeout: float) -> Any:
        return type("Meta", (), {"topics": {n: Listed(p) for n, p in self.created.items()}})

    def create_topics(self, topics: list[Any], **kwargs: Any) -> dict[str, Future[None]]:
        self.calls += 1
        futures: dict[str, Future[None]] = {}
        for topic in topics:
            future: Future[None] = Future()
            if self.calls <= self.failures:
                future.set_exception(KafkaException(KafkaError(self.code)))
            else:
                self.created[topic.topic] = topic.num_partitions
                future.set_result(None)
            futures[topic.topic] = future
        return futures


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_module, "_RETRY_DELAY_S", 0.0)


def test_a_fenced_broker_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAdmin(failures=2, code=KafkaError.INVALID_REPLICATION_FACTOR)
    monkeypatch.setattr(admin_module, "AdminClient", lambda config: fake)
    created = admin_module.ensure_topics(Settings(topic_prefix="p"))
    assert fake.calls == 3
    assert "p.order-events" in created


def test_other_errors_are_raised_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAdmin(failures=1, code=KafkaError.TOPIC_AUTHORIZATION_FAILED)
    monkeypatch.setattr(admin_module, "AdminClient", lambda config: fake)
    with pytest.raises(KafkaException):
        admin_module.ensure_topics(Settings(topic_prefix="p"))
    assert fake.calls == 1
