"""Creates the contract's topics (the broker never auto-creates them). Kafka adapter."""

import logging
import time
from collections.abc import Sequence

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from orders.contracts.topics import Topics, TopicSpec, replication_config
from orders.errors import OrderflowError
from orders.settings import Settings

log = logging.getLogger(__name__)


# Given several bootstrap servers, librdkafka drops its bootstrap connections once it learns
# the brokers' ids, failing a request still on one with _DESTROY_BROKER: asking again is safe
# (a topic that exists by then counts as created).
# Transient: the connection went, or a KRaft broker was fenced for a moment ("All brokers are
# currently fenced", seen once in a clean-clone CI run when a worker started): asked again.
_RETRIED = frozenset(
    {KafkaError._DESTROY_BROKER, KafkaError._TRANSPORT, KafkaError.INVALID_REPLICATION_FACTOR}
)
_CREATE_ATTEMPTS = 5
_RETRY_DELAY_S = 1.0  # doubled each attempt: 1, 2, 4, 8 s


class TopicMismatch(OrderflowError):
    """A topic exists with fewer partitions than the contract says: keys would move."""


def ensure_topics(
    settings: Settings, timeout: float = 30.0, extra: Sequence[TopicSpec] = ()
) -> list[str]:
    """Create the contract's missing topics (and the `extra` ones); return the names created
    once the broker lists them. Blocking: call it off the event loop."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    existing = admin.list_topics(timeout=timeout).topics
    specs = (*Topics.from_settings(settings).all(), *extra)
    for spec in specs:
        if spec.name in existing:
            _check_partitions(spec, len(existing[spec.name].partitions))
    missing = [spec for spec in specs if spec.name not in existing]
    if not missing:
        return []
    for attempt in range(1, _CREATE_ATTEMPTS + 1):
        try:
            _create(admin, [_new_topic(spec, settings) for spec in missing], timeout)
            break
        except KafkaException as e:
            if e.args[0].code() not in _RETRIED or attempt == _CREATE_ATTEMPTS:
                raise
            log.info("creating topics again: %s", e)
            time.sleep(_RETRY_DELAY_S * 2 ** (attempt - 1))
    _wait_listed(admin, missing, time.monotonic() + timeout)
    return [spec.name for spec in missing]


def _create(admin: AdminClient, topics: list[NewTopic], timeout: float) -> None:
    futures = admin.create_topics(topics, operation_timeout=timeout, request_timeout=timeout)
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # else: another process won
                raise
        log.info("created topic %s", name)


def _wait_listed(admin: AdminClient, specs: Sequence[TopicSpec], deadline: float) -> None:
    """Until the broker's metadata shows every new topic with all its partitions: a consumer
    that joins its group before then ignores the topic."""
    while True:
        listed = admin.list_topics(timeout=max(1.0, deadline - time.monotonic())).topics
        if all(s.name in listed and len(listed[s.name].partitions) == s.partitions for s in specs):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"created topics not listed yet: {[s.name for s in specs]}")
        time.sleep(0.1)


def _new_topic(spec: TopicSpec, settings: Settings) -> NewTopic:
    return NewTopic(
        spec.name,
        num_partitions=spec.partitions,
        replication_factor=settings.replication_factor,
        config={**spec.config, **replication_config(settings)},
    )


def _check_partitions(spec: TopicSpec, actual: int) -> None:
    if actual != spec.partitions:
        raise TopicMismatch(
            f"topic {spec.name} has {actual} partitions, the contract says {spec.partitions}"
        )
