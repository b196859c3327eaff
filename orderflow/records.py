"""Reads a whole topic, from each partition's start to its current end, as plain records.

A plain consumer that assigns partitions itself: it joins no group and commits nothing, so
reading never disturbs the workers. Blocking; meant for the CLI.
"""

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from orders.settings import Settings

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int


def read_topic(settings: Settings, topic: str, timeout: float = 30.0) -> list[RawRecord]:
    """Every record on `topic` now, in (partition, offset) order. LookupError when the topic
    does not exist, TimeoutError when it cannot be read to its end within `timeout`."""
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"orderflow-reader-{uuid.uuid4().hex[:8]}",  # never joined, never committed
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })  # fmt: skip
    try:
        ranges = _ranges(consumer, topic, timeout)
        records = _read(consumer, topic, ranges, time.monotonic() + timeout)
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))


def _ranges(consumer: Consumer, topic: str, timeout: float) -> dict[int, tuple[int, int]]:
    """(low, end) of every partition that holds anything."""
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None:
        raise LookupError(f"no topic {topic!r} on the broker")
    ranges: dict[int, tuple[int, int]] = {}
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout)
        if high > low:
            ranges[partition] = (low, high)
    return ranges


def _read(
    consumer: Consumer, topic: str, ranges: dict[int, tuple[int, int]], deadline: float
) -> list[RawRecord]:
    consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ranges.items()])
    remaining = {partition: end for partition, (_, end) in ranges.items()}
    records: list[RawRecord] = []
    while remaining:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: partitions {sorted(remaining)} not read to the end")
        for message in consumer.consume(num_messages=500, timeout=0.5):
            record = _record(message)
            if record.partition in remaining:
                records.append(record)
                if record.offset + 1 >= remaining[record.partition]:
                    remaining.pop(record.partition)
    return records


def _record(message: Message) -> RawRecord:
    error: KafkaError | None = message.error()
    if error is not None:
        raise KafkaException(error)
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        raise ValueError(f"a record without a position: {topic=} {partition=} {offset=}")
    key, value = message.key(), message.value()
    _, timestamp = message.timestamp()
    return RawRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        key=key if isinstance(key, bytes) else None,
        value=value if isinstance(value, bytes) else None,
        headers=_headers(message.headers()),
        timestamp_ms=timestamp,
    )


def _headers(raw: Mapping[str, object] | Sequence[tuple[str, object]] | None) -> Headers:
    """A message's headers as (name, bytes) pairs; librdkafka gives a list of pairs."""
    pairs = list(raw.items()) if isinstance(raw, Mapping) else list(raw or [])
    return [(str(name), _bytes(value)) for name, value in pairs]


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode() if value is not None else b""
