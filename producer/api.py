"""OrderProducer: the one way to put orders on the log, for the HTTP front door and other services.

Usage: `async with OrderProducer.connect(settings) as orders:` then
`placed = await orders.place_order(PlaceOrder(...))`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ulid import ULID

from orders.contracts.topics import Topics
from orders.domain.events import OrderEvent, OrderPlaced
from orders.domain.lines import order_total
from orders.domain.money import to_minor_units
from orders.settings import Settings
from producer.kafka_publisher import KafkaPublisher
from producer.publisher import EventPublisher
from producer.schemas import PlaceOrder


def new_order_id() -> str:
    # ULIDs sort by creation time, which keeps ids readable in logs and Redis listings.
    return str(ULID())


def new_order(request: PlaceOrder) -> OrderPlaced:
    """The event for a new order: a fresh order id and event id, nothing published yet."""
    items = request.lines()
    total = order_total(items)
    return OrderPlaced(
        order_id=new_order_id(),
        customer_id=request.customer_id,
        items=items,
        currency=request.currency,
        payment_token=request.payment_token,
        total=total,
        total_minor=to_minor_units(total, request.currency),
    )


class OrderProducer:
    """Publishes order events keyed by order id, so each order's events stay in order."""

    def __init__(self, publisher: EventPublisher, topic: str) -> None:
        self.publisher = publisher
        self.topic = topic

    @classmethod
    def for_settings(cls, settings: Settings, publisher: EventPublisher) -> "OrderProducer":
        return cls(publisher, Topics.from_settings(settings).order_events.name)

    @classmethod
    @asynccontextmanager
    async def connect(cls, settings: Settings) -> AsyncIterator["OrderProducer"]:
        """A producer on Kafka; leaving the block flushes what is still queued."""
        publisher = KafkaPublisher(settings)
        try:
            await publisher.start()
            yield cls.for_settings(settings, publisher)
        finally:
            await publisher.close()

    async def place_order(self, request: PlaceOrder) -> OrderPlaced:
        """Publish a new order; returns once the broker acknowledged it."""
        event = new_order(request)
        await self.publish(event)
        return event

    async def publish(self, event: OrderEvent) -> None:
        await self.publisher.publish(self.topic, event.order_id, event)

    async def ready(self) -> bool:
        return await self.publisher.ready()
