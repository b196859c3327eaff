"""The direct runtime's tables on a real Kafka: caught up from their changelog topics, only
from where this worker stopped reading, and started over when the topic is younger."""

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from orders.contracts.admin import ensure_topics
from orders.settings import Settings
from stream_processors.direct.main import tables_for
from stream_processors.direct.tables import CURRENT_PARTITION, Tables

pytestmark = pytest.mark.timeout(120)


Setup = tuple[Settings, Tables, AIOKafkaConsumer, AIOKafkaProducer]


@pytest.fixture
async def setup(kafka_bootstrap: str, unique_prefix: str) -> AsyncIterator[Setup]:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=unique_prefix,
        worker_group=f"{unique_prefix}-workers",
        order_events_partitions=2,
    )
    tables = tables_for(settings)
    ensure_topics(settings, extra=tables.topic_specs())
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await reader.start()
    await producer.start()
    try:
        yield settings, tables, reader, producer
    finally:
        await reader.stop()
        await producer.stop()


def value(tables: Tables, table: str, partition: int, key: bytes) -> bytes | None:
    token = CURRENT_PARTITION.set(partition)
    try:
        return tables[table].get(key)
    finally:
        CURRENT_PARTITION.reset(token)


async def test_assigned_partitions_are_read_from_their_changelogs_and_only_once(
    setup: Setup,
) -> None:
    settings, tables, reader, producer = setup
    sagas = tables["reservations"]
    order_log = TopicPartition(f"{settings.topic_prefix}.order-events", 1)
    for key, val in ((b"o1", b"a"), (b"o2", b"b"), (b"o1", b"c")):
        await producer.send_and_wait(sagas.topic, val, key=key, partition=1)
    await producer.send_and_wait(sagas.topic, b"other", key=b"o9", partition=0)

    assert await tables.catch_up(reader, {order_log}) == 3
    assert value(tables, "reservations", 1, b"o1") == b"c"  # the last write of a key wins
    assert value(tables, "reservations", 1, b"o2") == b"b"
    assert value(tables, "reservations", 0, b"o9") is None  # partition 0 is not assigned

    await producer.send_and_wait(sagas.topic, None, key=b"o2", partition=1)  # a tombstone
    await producer.send_and_wait(sagas.topic, b"d", key=b"o3", partition=1)
    assert await tables.catch_up(reader, {order_log}) == 2  # only what was written since
    assert value(tables, "reservations", 1, b"o2") is None
    assert value(tables, "reservations", 1, b"o3") == b"d"
    assert await tables.catch_up(reader, {order_log}) == 0


async def test_a_partition_held_past_the_changelogs_end_is_read_again_from_the_start(
    setup: Setup,
) -> None:
    settings, tables, reader, producer = setup
    stock = tables["stock"]
    await producer.send_and_wait(stock.topic, b"5", key=b"SKU", partition=0)
    stock.read_to[0] = 50  # as if this worker had read a longer changelog (a recreated topic)
    assert await tables.catch_up(reader, {TopicPartition(f"{settings.topic_prefix}.stock", 0)}) == 1
    assert value(tables, "stock", 0, b"SKU") == b"5"
