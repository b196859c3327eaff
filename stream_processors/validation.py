"""Validation stage: OrderPlaced -> OrderValidated | OrderRejected."""

from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain.events import AnyOrderEvent, OrderPlaced
from orders.domain.validation import validate
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import run_stage


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, OrderPlaced):
            await deps.outbox.order_event(validate(event, deps.limits))

    async def validation(stream: Any) -> None:
        await run_stage(stream, decode_order_event, handle, stage="validation", deps=deps)

    return app.agent(topics.order_events, name="orderflow.validation")(validation)
