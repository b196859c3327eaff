"""Where stages send what they decide: order events keyed by order id, stock commands by SKU."""

from typing import Any, Protocol

from orders.contracts import codec
from orders.domain.events import OrderEvent, StockEvent


class Outbox(Protocol):
    async def order_event(self, event: OrderEvent) -> None: ...

    async def stock_event(self, event: StockEvent) -> None: ...


class FaustOutbox:
    """Sends through Faust's producer. No need to await each acknowledgement: Faust flushes
    its producer before it commits the offsets of the events that caused these sends."""

    def __init__(self, order_topic: Any, stock_topic: Any) -> None:
        self._order_topic = order_topic
        self._stock_topic = stock_topic

    async def order_event(self, event: OrderEvent) -> None:
        key = codec.encode_key(event.order_id)
        await self._order_topic.send(key=key, value=codec.encode(event))

    async def stock_event(self, event: StockEvent) -> None:
        await self._stock_topic.send(key=codec.encode_key(event.sku), value=codec.encode(event))


class RecordingOutbox:
    """The fake for unit tests: remembers what was sent, in order."""

    def __init__(self) -> None:
        self.order_events: list[OrderEvent] = []
        self.stock_events: list[StockEvent] = []

    async def order_event(self, event: OrderEvent) -> None:
        self.order_events.append(event)

    async def stock_event(self, event: StockEvent) -> None:
        self.stock_events.append(event)
