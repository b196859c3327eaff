"""Fulfilment and compensation: what happens to held stock when an order is paid or declined."""

from orders.domain.events import AnyOrderEvent, PaymentCaptured, PaymentDeclined
from orders.domain.fulfilment import compensate, fulfil
from stream_processors.deps import StageDeps
from stream_processors.streams import Handle


def handler(deps: StageDeps) -> Handle[AnyOrderEvent]:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, PaymentCaptured):
            completed, commits = fulfil(event)
            for commit in commits:
                await deps.outbox.stock_event(commit)
            await deps.outbox.order_event(completed)
        elif isinstance(event, PaymentDeclined):
            for release in compensate(event):
                await deps.outbox.stock_event(release)

    return handle
