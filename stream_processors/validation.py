"""Validation stage: OrderPlaced -> OrderValidated | OrderRejected."""

from orders.domain.events import AnyOrderEvent, OrderPlaced
from orders.domain.validation import validate
from stream_processors.deps import StageDeps
from stream_processors.streams import Handle


def handler(deps: StageDeps) -> Handle[AnyOrderEvent]:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, OrderPlaced):
            await deps.outbox.order_event(validate(event, deps.limits))

    return handle
