"""What the direct runtime sends, over one idempotent producer (rdkafka_producer.py).

Each record's effects (the events its stages send, its tables' changelog records) are queued
without waiting, so they batch with every other record's; the record counts as done only
once the broker acknowledged all of them (`Effects.settle`), so a commit never passes a
record whose effects are not stored. A send the producer gives up on (the cluster unreachable
for the producer's whole delivery timeout) raises from `settle`: the worker stops, as a Kafka
Streams thread does, and the partition's next owner reads the record again.
"""

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from orders.contracts import codec
from orders.contracts.dead_letters import Headers
from orders.domain.events import OrderEvent, StockEvent

if TYPE_CHECKING:
    from stream_processors.direct.tables import ChangelogTable

log = logging.getLogger(__name__)
Delivery = asyncio.Future[Any]


class Sender(Protocol):
    """A producer's send: queues the record and returns a future that is done once the broker
    stored it (its result has `.offset`); RdkafkaProducer, or aiokafka's producer."""

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Delivery: ...


class Effects:
    """One record's sends, and its table writes to send once its stages are done."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.writes: dict[tuple[ChangelogTable, int, bytes], bytes] = {}

    def changelog(self, table: "ChangelogTable", partition: int, key: bytes, value: bytes) -> None:
        self.writes[(table, partition, key)] = value  # the last write of a key is what counts

    async def settle(self, producer: Sender) -> None:
        """Send the table writes, then wait until the broker stored every send."""
        await self.send_writes(producer)
        await self.stored()

    async def send_writes(self, producer: Sender) -> None:
        """Queue the table writes (after the stages' own sends: the same order per partition)."""
        for (table, partition, key), value in self.writes.items():
            delivery = await producer.send(table.topic, value, key=key, partition=partition)
            delivery.add_done_callback(_note_written(table, partition))
            self.deliveries.append(delivery)
        self.writes.clear()

    async def stored(self) -> None:
        """Until the broker stored every send queued so far (raises if one was not)."""
        if self.deliveries:
            deliveries, self.deliveries = self.deliveries, []
            await asyncio.gather(*deliveries)


_NO_RECORD = Effects()  # sends outside any record's work (the deadline job): not tracked
CURRENT_EFFECTS: ContextVar[Effects] = ContextVar("orderflow_current_effects", default=_NO_RECORD)


def current_effects() -> Effects:
    return CURRENT_EFFECTS.get()


def _note_written(table: "ChangelogTable", partition: int) -> Any:
    def done(delivery: Delivery) -> None:
        if not delivery.cancelled() and delivery.exception() is None:
            table.written(partition, delivery.result().offset)

    return done


class KafkaOutbox:
    """The stages' Outbox (stream_processors/outbox.py) over the direct runtime's producer."""

    def __init__(self, producer: Sender, order_topic: str, stock_topic: str) -> None:
        self._producer = producer
        self._order_topic = order_topic
        self._stock_topic = stock_topic

    async def order_event(self, event: OrderEvent) -> None:
        await self._send(self._order_topic, codec.encode_key(event.order_id), codec.encode(event))

    async def stock_event(self, event: StockEvent) -> None:
        await self._send(self._stock_topic, codec.encode_key(event.sku), codec.encode(event))

    async def _send(self, topic: str, key: bytes, value: bytes) -> None:
        delivery = await self._producer.send(topic, value, key=key)
        effects = current_effects()
        if effects is _NO_RECORD:
            delivery.add_done_callback(_retrieve)  # nobody waits: keep asyncio quiet
        else:
            effects.deliveries.append(delivery)


class KafkaDeadLetters:
    """The DeadLetterSink: returns once the broker stored the dead letter."""

    def __init__(self, producer: Sender, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        delivery: Awaitable[Any] = await self._producer.send(
            self._topic, value, key=key, headers=headers
        )
        await delivery


def _retrieve(delivery: Delivery) -> None:
    if not delivery.cancelled() and delivery.exception() is not None:
        log.warning("a send outside any record's work was not stored: %r", delivery.exception())
