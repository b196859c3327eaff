"""Status projection: writes every status change of the order event log to the status table."""

import asyncio
import logging
from typing import Any

from orders.contracts.codec import decode_order_event
from orders.errors import StoreUnavailable
from orders.status_store import StatusChange
from orders.status_store.projection import status_change
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import decoded

log = logging.getLogger(__name__)


async def write(change: StatusChange, deps: StageDeps) -> bool:
    """Apply `change`, waiting out a store outage: the offset is not committed meanwhile."""
    delay = deps.retry_initial_s
    while True:
        try:
            store = await deps.status_store()
            return await store.apply(change)
        except StoreUnavailable as e:
            log.warning("status store unavailable, retrying in %.1fs: %s", delay, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, deps.retry_max_s)


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def status_projection(stream: Any) -> None:
        async for event, offset in decoded(stream, decode_order_event, "projection"):
            change = status_change(event, offset)
            if change is not None:
                await write(change, deps)

    return app.agent(topics.order_events, name="orderflow.status_projection")(status_projection)
