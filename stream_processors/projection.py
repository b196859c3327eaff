"""Status projection: writes every status change of the order event log to the status table.

A store outage (StoreUnavailable, a TransientError) propagates to the stage loop, which retries
the change with capped backoff and does not commit past it meanwhile (stream_processors/streams.py).
So does StatusTableFrozen while `orderflow replay` switches tables: the retried write then lands
in the new table.
"""

from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain.events import AnyOrderEvent
from orders.status_store.projection import status_change
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import run_stage


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        change = status_change(event, offset)
        if change is not None:
            store = await deps.status_store()
            await store.apply(change)

    async def status_projection(stream: Any) -> None:
        await run_stage(stream, decode_order_event, handle, stage="projection", deps=deps)

    return app.agent(topics.order_events, name="orderflow.status_projection")(status_projection)
