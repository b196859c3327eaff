"""Validation stage: OrderPlaced -> OrderValidated | OrderRejected."""

from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain.events import OrderPlaced
from orders.domain.validation import validate
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import decoded


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def validation(stream: Any) -> None:
        async for event, _ in decoded(stream, decode_order_event, "validation"):
            if isinstance(event, OrderPlaced):
                await deps.outbox.order_event(validate(event, deps.limits))

    return app.agent(topics.order_events, name="orderflow.validation")(validation)
