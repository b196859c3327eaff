"""OrderProducer: the one way to put orders on the log, for the HTTP front door and other services.

Usage: `async with OrderProducer.connect(settings) as orders:` then
`placed = await orders.place_order(PlaceOrder(...))`.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from ulid import ULID

from orders.contracts.topics import Topics
from orders.domain.events import OrderEvent, OrderPlaced
from orders.domain.lines import order_total
from orders.domain.money import to_minor_units
from orders.settings import Settings
from producer.kafka_publisher import KafkaPublisher
from producer.publisher import Delivered, EventPublisher
from producer.schemas import PlaceOrder

# What to do once the broker acknowledged a new order (producer/pending.py records it PENDING).
AfterPlaced = Callable[[OrderPlaced, Delivered], Awaitable[None]]


async def _nothing(_placed: OrderPlaced, _delivered: Delivered) -> None:
    return None


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
    """Publishes order events keyed by order id, so each order's events stay in order.

    `after_placed` runs once the broker acknowledged an order's first publication (the front
    door records the order PENDING there, so its status URL answers at once)."""

    def __init__(
        self, publisher: EventPublisher, topic: str, after_placed: AfterPlaced = _nothing
    ) -> None:
        self.publisher = publisher
        self.topic = topic
        self._after_placed = after_placed

    @classmethod
    def for_settings(cls, settings: Settings, publisher: EventPublisher) -> "OrderProducer":
        return cls(publisher, Topics.from_settings(settings).order_events.name)

    def placing_with(self, after_placed: AfterPlaced) -> "OrderProducer":
        """The same producer (same publisher), with `after_placed` run after each new order."""
        return OrderProducer(self.publisher, self.topic, after_placed)

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
        await self.place(event)
        return event

    async def place(self, event: OrderPlaced, *, first: bool = True) -> Delivered:
        """Publish an order; `first`: no earlier attempt may have put this very event on the
        log, so nothing of the order can be there before it and `after_placed` runs."""
        delivered = await self.publish(event)
        if first:
            await self._after_placed(event, delivered)
        return delivered

    async def publish(self, event: OrderEvent) -> Delivered:
        return await self.publisher.publish(self.topic, event.order_id, event)

    async def ready(self) -> bool:
        return await self.publisher.ready()
