"""Cancellation intake: notes each order's first CancellationRequested as soon as it is on the
log, in a table keyed by order id (so on the same worker as the order's payment).

The payment stage reads the log in order and may lag behind (a slow gateway): without this,
a request made while the order is RESERVED would always sit behind its StockReserved and be
refused. With it, the payment stage checks for a noted request before it charges, so
cancellation wins until the charge starts. The order log's reader notes a request as soon as
it reads it (stream_processors/pipeline.py). The decision is still taken once, by the payment
stage, and recorded in its events and table.
"""

from typing import Any

from orders.contracts import codec
from orders.contracts.codec import decode_order_event
from orders.domain.events import AnyOrderEvent, CancellationRequested
from stream_processors.streams import RAW_TABLE, Handle


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


def requests_table(app: Any, partitions: int, **changelog: Any) -> CancellationRequests:
    table = app.Table(
        "cancellation-requests", default=None, partitions=partitions, **RAW_TABLE, **changelog
    )
    return CancellationRequests(table)


def intake(requests: CancellationRequests) -> Handle[AnyOrderEvent]:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, CancellationRequested):
            requests.note(event)

    return handle
