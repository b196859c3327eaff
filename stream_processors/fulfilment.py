"""Fulfilment and compensation: what happens to held stock when an order is paid or declined."""

from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain.events import AnyOrderEvent, PaymentCaptured, PaymentDeclined
from orders.domain.fulfilment import compensate, fulfil
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import run_stage


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, PaymentCaptured):
            completed, commits = fulfil(event)
            for commit in commits:
                await deps.outbox.stock_event(commit)
            await deps.outbox.order_event(completed)
        elif isinstance(event, PaymentDeclined):
            for release in compensate(event):
                await deps.outbox.stock_event(release)

    async def fulfilment(stream: Any) -> None:
        await run_stage(stream, decode_order_event, handle, stage="fulfilment", deps=deps)

    return app.agent(topics.order_events, name="orderflow.fulfilment")(fulfilment)
