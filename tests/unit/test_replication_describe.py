"""`describe_replication` leaves out a topic the broker asked does not know yet (a new topic
reaches each broker of a cluster in its own time), instead of failing the whole answer."""

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from orders.contracts.replication import _min_insync


class Entry:
    def __init__(self, value: str) -> None:
        self.value = value


class FakeAdmin:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def describe_configs(
        self, resources: list[Any], request_timeout: float
    ) -> dict[Any, Future[Any]]:
        futures = {}
        for resource in resources:
            future: Future[Any] = Future()
            answer = self.answers[resource.name]
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result({"min.insync.replicas": Entry(answer)})
            futures[resource] = future
        return futures


def test_a_topic_the_broker_does_not_know_yet_is_left_out() -> None:
    unknown = KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))
    admin = FakeAdmin({"known": "2", "new": unknown})
    assert _min_insync(admin, ["known", "new"], 1.0) == ({"known": 2}, {"new"})  # type: ignore[arg-type]


def test_any_other_error_is_raised() -> None:
    admin = FakeAdmin({"t": KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))})
    with pytest.raises(KafkaException):
        _min_insync(admin, ["t"], 1.0)  # type: ignore[arg-type]
