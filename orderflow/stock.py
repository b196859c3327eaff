"""Stock levels: set them (StockSet events on the stock topic, so stock is replayable too) and
read them back from the workers' stock table (its changelog topic)."""

import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from orders.contracts.topics import Topics
from orders.domain.events import StockSet
from orders.domain.stock import SkuStock
from orders.settings import Settings
from producer.kafka_publisher import KafkaPublisher

DEMO_CATALOG = {"BURGER": 50, "FRIES": 100, "COLA": 100, "SHAKE": 3, "SALAD": 20}


async def set_stock(settings: Settings, levels: dict[str, int]) -> None:
    topic = Topics.from_settings(settings).stock.name
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        for sku, quantity in levels.items():
            await publisher.publish(topic, sku, StockSet(sku=sku, quantity=quantity))
    finally:
        await publisher.close()


def stock_changelog_topic(settings: Settings) -> str:
    """Faust names a table's changelog `{app id}-{table}-changelog`; the app id is the worker
    group and the table is "stock" (stream_processors/inventory.py)."""
    return f"{settings.worker_group}-stock-changelog"


def read_stock(settings: Settings, timeout: float = 30.0) -> dict[str, SkuStock]:
    """Every SKU's latest stock as the workers last wrote it (blocking; a plain consumer that
    joins no group and commits nothing). Raises LookupError when no worker has written the
    table yet, TimeoutError when the changelog cannot be read to its end within `timeout`."""
    topic = stock_changelog_topic(settings)
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"{settings.worker_group}-stock-reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })  # fmt: skip
    try:
        ends = _end_offsets(consumer, topic, timeout)
        latest = _read_to(consumer, topic, ends, time.monotonic() + timeout)
    finally:
        consumer.close()
    return {sku.decode(): SkuStock.model_validate_json(value) for sku, value in latest.items()}


def _end_offsets(consumer: Consumer, topic: str, timeout: float) -> dict[int, int]:
    """The end offset of every partition that has anything in it."""
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None:
        raise LookupError(f"no stock changelog topic {topic!r} on the broker")
    ends: dict[int, int] = {}
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout)
        if high > low:
            ends[partition] = high
    return ends


def _read_to(
    consumer: Consumer, topic: str, ends: dict[int, int], deadline: float
) -> dict[bytes, bytes]:
    """The latest value per key, reading each partition from its start to its end offset."""
    consumer.assign([TopicPartition(topic, p, 0) for p in ends])
    remaining = dict(ends)
    latest: dict[bytes, bytes] = {}
    while remaining:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: partitions {sorted(remaining)} not read to the end")
        for message in consumer.consume(num_messages=500, timeout=0.5):
            partition, offset, key, value = _record(message)
            if value is None:  # a tombstone: the key was deleted
                latest.pop(key, None)
            else:
                latest[key] = value
            if offset + 1 >= remaining.get(partition, 0):
                remaining.pop(partition, None)
    return latest


def _record(message: Message) -> tuple[int, int, bytes, bytes | None]:
    """(partition, offset, key, value) of a changelog message; raises on a consumer error."""
    error: KafkaError | None = message.error()
    partition, offset, key = message.partition(), message.offset(), message.key()
    if error is not None:
        raise KafkaException(error)
    if partition is None or offset is None or not isinstance(key, bytes):
        raise ValueError(f"not a stock changelog record: {partition=} {offset=} {key=!r}")
    value = message.value()
    return partition, offset, key, value if isinstance(value, bytes) else None
