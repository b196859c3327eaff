"""The Kafka publisher and OrderProducer against a real broker."""

import asyncio
import time
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka import Consumer, KafkaException, Message

from orders.contracts.admin import ensure_topics
from orders.contracts.codec import decode_key, decode_order_event
from orders.contracts.topics import Topics
from orders.domain.events import OrderCompleted, OrderPlaced
from orders.domain.lines import OrderLine
from orders.domain.status import OrderStatus
from orders.errors import BrokerUnavailable
from orders.settings import Settings
from orders.status_store.projection import status_change
from orders.status_store.redis import RedisStatusStore
from producer.api import OrderProducer
from producer.app import create_app
from producer.kafka_publisher import KafkaPublisher
from producer.schemas import PlaceOrder

_READ_TIMEOUT_S = 30.0


def read_back(settings: Settings, group: str, count: int) -> list[Message]:
    """The first `count` messages of the order event log, in the order a consumer sees them."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([Topics.from_settings(settings).order_events.name])
    messages: list[Message] = []
    deadline = time.monotonic() + _READ_TIMEOUT_S
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                raise KafkaException(message.error())
            messages.append(message)
    finally:
        consumer.close()
    return messages


def an_order() -> PlaceOrder:
    return PlaceOrder(
        customer_id="cust-1",
        items=[
            OrderLine(sku="SKU-1", quantity=2, unit_price=Decimal("19.99")),
            OrderLine(sku="SKU-2", quantity=1, unit_price=Decimal("5.00")),
        ],
        currency="USD",
        payment_token="tok_visa",
    )


@pytest.fixture
async def settings(kafka_bootstrap: str, redis_url: str, unique_prefix: str) -> Settings:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        topic_prefix=unique_prefix,
        redis_namespace=unique_prefix,
    )
    await asyncio.to_thread(ensure_topics, settings)
    return settings


async def test_placed_order_is_on_the_log_keyed_by_order_id(
    settings: Settings, unique_prefix: str
) -> None:
    async with OrderProducer.connect(settings) as producer:
        assert await producer.ready()
        placed = await producer.place_order(an_order())

    messages = await asyncio.to_thread(read_back, settings, f"{unique_prefix}-reader", 1)

    assert len(messages) == 1
    assert decode_key(messages[0].key()) == placed.order_id
    assert decode_order_event(messages[0].value()) == placed
    assert isinstance(placed, OrderPlaced)
    assert placed.total == Decimal("44.98")


async def test_events_of_one_order_stay_in_order(settings: Settings, unique_prefix: str) -> None:
    async with OrderProducer.connect(settings) as producer:
        placed = await producer.place_order(an_order())
        completed = OrderCompleted(order_id=placed.order_id)
        delivered = await producer.publish(completed)

    messages = await asyncio.to_thread(read_back, settings, f"{unique_prefix}-reader", 2)

    assert [decode_order_event(m.value()) for m in messages] == [placed, completed]
    assert {decode_key(m.key()) for m in messages} == {placed.order_id}
    # The delivery report says where the event is: what the status table uses as version.
    assert (delivered.partition, delivered.offset) == (messages[1].partition(), 1)


async def test_front_door_runs_its_own_kafka_publisher(
    settings: Settings, unique_prefix: str
) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        assert (await client.get("/readyz")).status == 200
        response = await client.post("/orders", json=an_order().model_dump(mode="json"))
        assert response.status == 202
        order_id = (await response.json())["order_id"]

    messages = await asyncio.to_thread(read_back, settings, f"{unique_prefix}-reader", 1)
    store = RedisStatusStore.from_url(settings.redis_url, settings.redis_namespace)
    try:
        view = await store.get(order_id)
        # The projection's write of the same event, read back from the log: a no-op.
        change = status_change(decode_order_event(messages[0].value()), messages[0].offset())
        assert change is not None
        assert not await store.apply(change)
        assert await store.get(order_id) == view
    finally:
        await store.close()

    assert decode_key(messages[0].key()) == order_id
    # Recorded before the 202, with the event's offset as version, as the projection would.
    assert view is not None
    assert (view.status, view.version) == (OrderStatus.PENDING, messages[0].offset())
    assert [h.version for h in view.history] == [messages[0].offset()]


async def test_not_ready_without_the_topics(kafka_bootstrap: str, unique_prefix: str) -> None:
    publisher = KafkaPublisher(
        Settings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=unique_prefix)
    )
    try:
        assert not await publisher.ready()
    finally:
        await publisher.close()


async def test_unreachable_broker_is_broker_unavailable_quickly() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", publish_timeout_s=1)
    publisher = KafkaPublisher(settings)
    event = OrderCompleted(order_id="order-1")
    started = time.monotonic()
    try:
        with pytest.raises(BrokerUnavailable):
            await publisher.publish("nowhere.order-events", event.order_id, event)
        assert not await publisher.ready()
    finally:
        await publisher.close()
    # Generous bound: the point is failing in seconds, not after librdkafka's 30 s defaults.
    assert time.monotonic() - started < 15
