"""Poison records on the topics are dead-lettered once, by the agent that reads them, with their
original bytes and the failure in headers, while the valid orders around them complete."""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC

import aiohttp
from confluent_kafka import Consumer, Producer
from ulid import ULID

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.contracts.dead_letters import Failure
from orders.contracts.topics import LIBRDKAFKA_PARTITIONER, Topics
from orders.settings import Settings
from tests.unit.stage_helpers import placed

# One agent reads each topic and decodes each record once, so it dead-letters it once: the
# order log's reader as "dispatch", the inventory as itself.
STAGES = {"order-events": {"dispatch"}, "stock": {"inventory"}}


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def poison(topics: Topics, prefix: str) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value): keyed like real events, values the codec must refuse."""
    order_id = [str(ULID()) for _ in range(3)]
    negative = json.loads(placed(order_id[1]).model_dump_json())
    negative["items"][0]["quantity"] = -1
    unknown = {"type": "OrderTeleported", "order_id": order_id[2], "schema_version": 1}
    return [
        (topics.order_events.name, order_id[0].encode(), b"\x00\xffnot json"),
        (topics.order_events.name, order_id[1].encode(), json.dumps(negative).encode()),
        (topics.order_events.name, order_id[2].encode(), json.dumps(unknown).encode()),
        (topics.stock.name, f"{prefix}-POISON".encode(), b'{"type": "StockSet", "sku": 7}'),
    ]


def publish_raw(settings: Settings, records: list[tuple[str, bytes, bytes]]) -> list[Sent]:
    producer = Producer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "partitioner": LIBRDKAFKA_PARTITIONER,
    })  # fmt: skip
    sent: list[Sent] = []

    def report(err: object, msg: object) -> None:
        assert err is None, err
        sent.append(Sent(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value()))  # type: ignore[attr-defined]

    for topic, key, value in records:
        producer.produce(topic, key=key, value=value, on_delivery=report)
    assert producer.flush(30) == 0
    return sent


Letters = dict[tuple[bytes | None, str], tuple[int | None, bytes | None, Failure]]


def read_dead_letters(settings: Settings, expected: set[tuple[bytes, str]]) -> Letters:
    """(key, stage) -> (partition, value, failure) of each dead letter, until all expected came."""
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"{settings.topic_prefix}-dead-letter-reader",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })  # fmt: skip
    consumer.subscribe([Topics.from_settings(settings).dead_letters.name])
    letters: Letters = {}
    deadline = time.monotonic() + 90
    try:
        while not expected <= set(letters) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=1):
                assert message.error() is None, message.error()
                headers = message.headers()
                assert isinstance(headers, list), headers
                failure = Failure.from_headers(headers)
                letters[(message.key(), failure.stage)] = (
                    message.partition(), message.value(), failure
                )  # fmt: skip
    finally:
        consumer.close()
    return letters


async def test_poison_is_dead_lettered_once_and_orders_around_it_complete(
    stack: LocalStack,
) -> None:
    settings = stack.settings
    topics = Topics.from_settings(settings)
    sku = f"{settings.topic_prefix}-A"
    await set_stock(settings, {sku: 10})
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        before = await client.place(order_body([(sku, 1, "2.50")]))
        sent = await asyncio.to_thread(publish_raw, settings, poison(topics, settings.topic_prefix))
        after = await client.place(order_body([(sku, 2, "2.50")]))
        for order in (before, after):
            final = await client.wait_terminal(order.order_id, within=120, interval=0.05)
            assert final["status"] == "COMPLETED", final

    expected = {
        (record.key, stage)
        for record in sent
        for stage in STAGES[record.topic.removeprefix(f"{settings.topic_prefix}.")]
    }
    assert len(expected) == 3 + 1  # three poison order events, one poison stock command
    letters = await asyncio.to_thread(read_dead_letters, settings, expected)
    assert expected <= set(letters), f"missing dead letters: {expected - set(letters)}"
    by_key: dict[bytes | None, Sent] = {record.key: record for record in sent}
    for (key, stage), (partition, value, failure) in letters.items():
        original = by_key[key]
        assert value == original.value  # the original bytes, unchanged
        assert partition == original.partition  # keyed like the original (same count here)
        assert (failure.topic, failure.partition, failure.offset) == (
            original.topic, original.partition, original.offset
        )  # fmt: skip
        assert failure.stage == stage
        assert failure.error_class == "DecodeError"
        assert failure.error_message.startswith("not a valid event"), failure
        assert failure.attempts == 1
        assert failure.first_failed_at.utcoffset() == UTC.utcoffset(None)
