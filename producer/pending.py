"""Read-your-writes at the front door: a new order is in the status table before its 202.

Once the broker acknowledged an OrderPlaced, the front door writes the very change the
projection will write for that event: `status_change(event, offset)`, with the offset from the
delivery report as its version. The status table's compare-and-set then makes the projection's
write of the same event a no-op, and every later status supersedes it, so the table ends the
same whichever writes first (and a replay rebuilds exactly it).

The order is accepted once it is on the log: a write that fails here (Redis down, slow, or a
replay switching tables) is logged and counted, never turned into an error. The projection
writes the same change when it reaches the event.
"""

import asyncio
import logging

from prometheus_client import Counter

from orders.domain.events import OrderPlaced
from orders.errors import StoreUnavailable
from orders.status_store import StatusStore
from orders.status_store.projection import status_change
from producer.publisher import Delivered

_log = logging.getLogger(__name__)


class RecordPending:
    """An `after_placed` step (producer/api.py): writes the new order's PENDING, best effort,
    giving up after `timeout_s` so a slow Redis does not hold up the answer."""

    def __init__(self, store: StatusStore, failures: Counter, *, timeout_s: float) -> None:
        self._store = store
        self._failures = failures
        self._timeout_s = timeout_s

    async def __call__(self, placed: OrderPlaced, delivered: Delivered) -> None:
        change = status_change(placed, delivered.offset)
        if change is None:  # never for an OrderPlaced; keeps the types honest
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._store.apply(change)
        except (StoreUnavailable, TimeoutError) as e:
            self._failures.inc()
            _log.warning(
                "order %s accepted, but not recorded PENDING (the projection will): %s",
                placed.order_id,
                e or type(e).__name__,
            )
