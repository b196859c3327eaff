"""Payment stage: StockReserved -> PaymentCaptured | PaymentDeclined (through the gateway),
and the one place that decides cancellations (see orders/domain/cancellation.py)."""

import asyncio
import logging
from typing import Any

from orders.contracts.upcasters import upcast_embedded
from orders.domain import payment as rules
from orders.domain.cancellation import (
    ENDED,
    PaymentRecord,
    outcome_to_repeat,
    request_cancellation,
    settled,
)
from orders.domain.events import (
    AnyOrderEvent,
    CancellationRequested,
    OrderEvent,
    OrderRejected,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    StockReserved,
)
from orders.errors import GatewayTimeout
from stream_processors.cancellation import CancellationRequests
from stream_processors.deps import StageDeps
from stream_processors.streams import RAW_TABLE

log = logging.getLogger(__name__)


async def settle(reserved: StockReserved, deps: StageDeps) -> PaymentCaptured | PaymentDeclined:
    """Charge with the order id as idempotency key; retry timeouts with backoff, then decline."""
    delay = deps.retry_initial_s
    for attempt in range(1, deps.payment_attempts + 1):
        try:
            payment_id = await deps.gateway.charge(
                idempotency_key=reserved.order_id,
                amount_minor=reserved.total_minor,
                currency=reserved.currency,
                token=reserved.payment_token,
            )
        except rules.PaymentRefused as e:
            return rules.declined(reserved, e.reason)
        except GatewayTimeout as e:
            log.warning("payment for %s timed out (attempt %d): %s", reserved.order_id, attempt, e)
            if attempt < deps.payment_attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, deps.retry_max_s)
        else:
            return rules.captured(reserved, payment_id)
    return rules.declined(reserved, f"payment gateway timed out ({deps.payment_attempts} attempts)")


class PaymentStage:
    """Keeps one PaymentRecord per order in a table keyed by order id (the order's partition),
    so a charge and a cancellation of one order are decided in log order, once."""

    def __init__(self, records: Any, requests: CancellationRequests, deps: StageDeps) -> None:
        self.records = records
        self.requests = requests
        self.deps = deps

    def _get(self, order_id: str) -> PaymentRecord | None:
        raw = self.records.get(order_id.encode())
        # Upcast the outcome event it holds, should its type get a new version.
        return PaymentRecord.model_validate_json(upcast_embedded(raw)) if raw else None

    def _put(self, order_id: str, record: PaymentRecord) -> None:
        self.records[order_id.encode()] = record.model_dump_json().encode()

    async def _send(self, events: list[OrderEvent]) -> None:
        for event in events:
            await self.deps.outbox.order_event(event)

    async def reserved(self, event: StockReserved) -> None:
        early = self.requests.get(event.order_id)
        if early is not None and self._get(event.order_id) is None:
            await self.cancellation(early)  # asked for before the charge started: it wins
        repeat = outcome_to_repeat(self._get(event.order_id))
        if repeat is not None:  # settled already (redelivery) or cancelled: no charge
            await self._send(repeat)
            return
        outcome = await settle(event, self.deps)
        await self._send([outcome])
        self._put(event.order_id, settled(outcome))

    async def cancellation(self, request: CancellationRequested) -> None:
        record, events = request_cancellation(self._get(request.order_id), request)
        await self._send(events)
        self._put(request.order_id, record)

    async def handle(self, event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, StockReserved):
            await self.reserved(event)
        elif isinstance(event, CancellationRequested):
            await self.cancellation(event)
        elif isinstance(event, OrderRejected | OutOfStock):
            self.ended(event)

    def ended(self, event: OrderRejected | OutOfStock) -> None:
        if self._get(event.order_id) is None:  # later cancellation requests are refused
            self._put(event.order_id, ENDED)


def records_table(app: Any, partitions: int, **changelog: Any) -> Any:
    # Keys and values are bytes: what a table recovers from its changelog must look up the same.
    return app.Table("payments", default=None, partitions=partitions, **RAW_TABLE, **changelog)
