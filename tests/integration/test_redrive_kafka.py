"""The Kafka side of `dlq` and `reprocess` against a real broker: raw records round-trip with
their headers, and a group's offsets are refused while it has a member, rewound once not."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from confluent_kafka import Consumer, Producer

from orderflow.dead_letters.groups import RecordId
from orderflow.dead_letters.publisher import KafkaRecordSink
from orderflow.dead_letters.redrive import OutRecord
from orderflow.records import read_topic
from orderflow.reprocess.kafka import GroupActive, Offsets
from orderflow.reprocess.plan import Start
from orders.contracts.admin import ensure_topics
from orders.contracts.topics import Topics
from orders.settings import Settings

T0_MS = 1_795_000_000_000  # record timestamps set by the test, one second apart


@pytest.fixture
def settings(kafka_bootstrap: str, unique_prefix: str) -> Settings:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=unique_prefix,
        worker_group=f"{unique_prefix}-workers",
        order_events_partitions=2,
    )
    ensure_topics(settings)
    return settings


def test_records_round_trip_with_their_headers_in_the_keys_partition(settings: Settings) -> None:
    topic = Topics.from_settings(settings).order_events.name
    records = [
        OutRecord(topic, b"order-1", b'{"n": 1}', [("a", b"1"), ("orderflow.redriven-from", b"x")]),
        OutRecord(topic, b"order-1", b'{"n": 2}', []),
        OutRecord(topic, b"order-2", None, [("b", b"")]),
    ]
    first, second, third = KafkaRecordSink(settings).publish(records)
    assert isinstance(first, RecordId)
    assert isinstance(second, RecordId)
    assert isinstance(third, RecordId)
    assert first.partition == second.partition  # one key, one partition
    assert second.offset > first.offset
    read = read_topic(settings, topic)
    assert [(r.key, r.value, r.headers) for r in read if r.key == b"order-1"] == [
        (b"order-1", b'{"n": 1}', [("a", b"1"), ("orderflow.redriven-from", b"x")]),
        (b"order-1", b'{"n": 2}', []),
    ]
    (tombstone,) = [r for r in read if r.key == b"order-2"]
    assert (tombstone.value, tombstone.headers) == (None, [("b", b"")])


@pytest.fixture
def consumed(settings: Settings) -> Iterator[Consumer]:
    """Five records per partition (timestamps T0 + 0..4 s), read and committed by a member of
    the workers' group that is still in it."""
    topic = Topics.from_settings(settings).order_events.name
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for partition in (0, 1):
        for i in range(5):
            producer.produce(topic, b"v", partition=partition, timestamp=T0_MS + i * 1000)
    assert producer.flush(30) == 0
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": settings.worker_group,
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
    })  # fmt: skip
    consumer.subscribe([topic])
    seen, deadline = 0, time.monotonic() + 60
    while seen < 10:
        assert time.monotonic() < deadline, f"read {seen} of 10 records"
        seen += len([m for m in consumer.consume(10, timeout=1) if m.error() is None])
    consumer.commit(asynchronous=False)
    yield consumer
    consumer.close()


def test_offsets_are_refused_while_a_member_is_in_the_group_and_rewound_after(
    settings: Settings, consumed: Consumer
) -> None:
    offsets = Offsets(settings, Topics.from_settings(settings).order_events)
    assert offsets.active_members()
    with pytest.raises(GroupActive, match="Kafka refused to change the offsets"):
        offsets.rewind({0: 0})

    at = Start(at=datetime.fromtimestamp((T0_MS + 2500) / 1000, UTC))
    states = {s.partition: s for s in offsets.states(at)}
    assert [(s.committed, s.low, s.end, s.at_time) for s in states.values()] == [(5, 0, 5, 3)] * 2

    consumed.close()  # leaves the group
    deadline = time.monotonic() + 30
    while offsets.active_members():
        assert time.monotonic() < deadline, "the group kept its member"
        time.sleep(0.2)
    offsets.rewind({0: 3})
    assert [s.committed for s in offsets.states(Start())] == [3, 5]
