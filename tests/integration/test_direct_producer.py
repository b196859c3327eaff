"""The direct runtime's librdkafka producer on a real Kafka: where it puts a keyed record (the
partition aiokafka and Faust pick), what its futures say, and that stop() delivers what is
queued."""

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from orders.contracts.admin import ensure_topics
from orders.contracts.topics import TopicSpec
from orders.settings import Settings
from stream_processors.direct.rdkafka_producer import (
    RdkafkaProducer,
    SendFailed,
    Stored,
    producer_config,
)

pytestmark = pytest.mark.timeout(120)
PARTITIONS = 6


@pytest.fixture
def topic(kafka_bootstrap: str, unique_prefix: str) -> str:
    name = f"{unique_prefix}.sends"
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=unique_prefix)
    ensure_topics(settings, extra=[TopicSpec(name, PARTITIONS, "order id")])
    return name


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[RdkafkaProducer]:
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap)
    producer = RdkafkaProducer(producer_config(settings, "test"))
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop(10)


async def read_all(bootstrap: str, topic: str, count: int) -> list[object]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        records: list[object] = []
        async with asyncio.timeout(30):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def test_a_key_goes_to_the_partition_aiokafka_picks_and_the_future_says_where(
    producer: RdkafkaProducer, topic: str, kafka_bootstrap: str
) -> None:
    keys = [f"order-{n}".encode() for n in range(40)]
    sent = [await producer.send(topic, b"v", key=key) for key in keys]
    stored = await asyncio.gather(*sent)

    reference = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await reference.start()
    try:
        theirs = [await reference.send_and_wait(topic, b"v", key=key) for key in keys]
    finally:
        await reference.stop()
    assert [s.partition for s in stored] == [t.partition for t in theirs]
    assert len({s.partition for s in stored}) > 1  # the keys spread over the partitions
    records = await read_all(kafka_bootstrap, topic, 2 * len(keys))
    where = {(r.partition, r.offset): r.key for r in records}  # type: ignore[attr-defined]
    assert all(where[(s.partition, s.offset)] == key for s, key in zip(stored, keys, strict=True))


async def test_an_explicit_partition_and_headers_are_kept(
    producer: RdkafkaProducer, topic: str, kafka_bootstrap: str
) -> None:
    future = await producer.send(
        topic, b"dead", key=b"k", partition=4, headers=[("orderflow-stage", b"payment")]
    )
    stored = await future
    assert stored.partition == 4
    (record,) = await read_all(kafka_bootstrap, topic, 1)
    assert record.partition == 4  # type: ignore[attr-defined]
    assert record.headers == (("orderflow-stage", b"payment"),)  # type: ignore[attr-defined]


async def test_stop_delivers_what_is_queued(topic: str, kafka_bootstrap: str) -> None:
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap)
    producer = RdkafkaProducer(producer_config(settings, "test"))
    await producer.start()
    futures = [await producer.send(topic, str(n).encode(), key=b"k%d" % n) for n in range(500)]
    await producer.stop(10)

    assert all(f.done() and isinstance(f.result(), Stored) for f in futures)
    records = await read_all(kafka_bootstrap, topic, 500)
    assert sorted(int(r.value) for r in records) == list(range(500))  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="not started"):
        await producer.send(topic, b"late")


async def test_a_record_no_broker_takes_fails_its_future() -> None:
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    config = producer_config(Settings(kafka_bootstrap_servers=f"127.0.0.1:{port}"), "t")
    producer = RdkafkaProducer({**config, "message.timeout.ms": 500, "logger": None})
    await producer.start()
    try:
        future = await producer.send("nowhere", b"v", key=b"k")
        with pytest.raises(SendFailed, match="_MSG_TIMED_OUT"):
            await asyncio.wait_for(future, 20)
    finally:
        await producer.stop(1)
