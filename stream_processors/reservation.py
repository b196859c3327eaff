"""Reservation stage: asks each SKU's owner for stock and decides all-or-nothing per order."""

from typing import Any

from orders.contracts.upcasters import upcast_embedded
from orders.domain import reservation as rules
from orders.domain.events import (
    AnyOrderEvent,
    OrderCancelled,
    OrderValidated,
    StockLineRefused,
    StockLineReserved,
)
from stream_processors.deps import StageDeps
from stream_processors.streams import RAW_TABLE


class ReservationStage:
    """Keeps each order's saga in a table keyed by order id, like the order event log, so a
    saga lives in the same partition as its order's events."""

    def __init__(self, sagas: Any, deps: StageDeps) -> None:
        self.sagas = sagas
        self.deps = deps

    async def handle(self, event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, OrderValidated):
            await self.begin(event)
        elif isinstance(event, StockLineReserved | StockLineRefused):
            await self.answer(event)
        elif isinstance(event, OrderCancelled):
            await self.cancel(event)

    async def begin(self, event: OrderValidated) -> None:
        key = event.order_id.encode()
        if self.sagas.get(key) is not None:  # redelivered (requests went out), or cancelled
            return
        saga, requests = rules.start(event)
        for request in requests:
            await self.deps.outbox.stock_event(request)
        self.sagas[key] = saga.model_dump_json().encode()

    async def cancel(self, event: OrderCancelled) -> None:
        key = event.order_id.encode()
        raw = self.sagas.get(key)
        saga = _saga(raw) if raw else None
        updated, releases = rules.cancel(saga, event)
        for release in releases:
            await self.deps.outbox.stock_event(release)
        if updated != saga:
            self.sagas[key] = updated.model_dump_json().encode()

    async def answer(self, event: StockLineReserved | StockLineRefused) -> None:
        key = event.order_id.encode()
        raw = self.sagas.get(key)
        if raw is None:  # an answer for an order this stage never asked about
            return
        saga, (order_events, stock_events) = rules.record(_saga(raw), event)
        for stock_event in stock_events:
            await self.deps.outbox.stock_event(stock_event)
        for order_event in order_events:
            await self.deps.outbox.order_event(order_event)
        self.sagas[key] = saga.model_dump_json().encode()


def _saga(raw: bytes) -> rules.Reservation:
    # A saga stored before an upgrade holds its OrderValidated at the version of that time.
    return rules.Reservation.model_validate_json(upcast_embedded(raw))


def sagas_table(app: Any, partitions: int, **changelog: Any) -> Any:
    # Keys and values are bytes: what a table recovers from its changelog must look up the same.
    return app.Table("reservations", default=None, partitions=partitions, **RAW_TABLE, **changelog)
