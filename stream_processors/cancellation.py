"""Cancellation intake: notes each order's first CancellationRequested as soon as it is on the
log, in a table keyed by order id (so on the same worker as the order's payment).

The payment stage reads the log in order and may lag behind (a slow gateway): without this,
a request made while the order is RESERVED would always sit behind its StockReserved and be
refused. With it, the payment stage checks for a noted request before it charges, so
cancellation wins until the charge starts. The decision is still taken once, by the payment
stage, and recorded in its events and table.
"""

from typing import Any

from orders.contracts import codec
from orders.contracts.codec import decode_order_event
from orders.domain.events import AnyOrderEvent, CancellationRequested
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import RAW_TABLE, run_stage


class CancellationRequests:
    """The noted requests, by order id."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def note(self, request: CancellationRequested) -> None:
        key = request.order_id.encode()
        if self.table.get(key) is None:  # the first request is the one that counts
            self.table[key] = codec.encode(request)

    def get(self, order_id: str) -> CancellationRequested | None:
        raw = self.table.get(order_id.encode())
        if raw is None:
            return None
        event = decode_order_event(raw)
        return event if isinstance(event, CancellationRequested) else None


def register(
    app: Any, topics: FaustTopics, deps: StageDeps, partitions: int
) -> tuple[Any, CancellationRequests]:
    table = app.Table("cancellation-requests", default=None, partitions=partitions, **RAW_TABLE)
    requests = CancellationRequests(table)

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, CancellationRequested):
            requests.note(event)

    async def cancellation_intake(stream: Any) -> None:
        await run_stage(stream, decode_order_event, handle, stage="cancellation-intake", deps=deps)

    agent = app.agent(topics.order_events, name="orderflow.cancellation_intake")(
        cancellation_intake
    )
    return agent, requests
