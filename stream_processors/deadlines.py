"""The deadline job: like a task queue's beat scheduler, it runs every few seconds on the
group's leader, finds orders that have been in one stage longer than the deadline, and asks
for them to be cancelled. The payment stage decides as for any cancellation, so the stock
they hold is given back and the reason is recorded; a stuck order that was already paid is
only reported (too late to cancel)."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orders.domain.cancellation import CANCELLABLE
from orders.domain.events import CancellationRequested, derived_event_id
from orders.errors import StoreUnavailable
from orders.status_store import StalledOrder, StatusStore
from stream_processors.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadlineJob:
    deadline: timedelta
    batch: int
    store: Callable[[], Awaitable[StatusStore]]
    outbox: Outbox

    async def run_once(self, now: datetime | None = None) -> list[CancellationRequested]:
        """One scan: the cancellation requests sent (none when the store is down)."""
        now = now or datetime.now(UTC)
        try:
            stalled = await (await self.store()).stalled(now - self.deadline, self.batch)
        except StoreUnavailable as e:
            log.warning("deadline scan skipped, status store unavailable: %s", e)
            return []
        sent = []
        for order in stalled:
            if order.status not in CANCELLABLE:
                log.warning(
                    "order %s stuck in %s since %s", order.order_id, order.status, order.since
                )
                continue
            request = self.request_for(order)
            await self.outbox.order_event(request)
            sent.append(request)
        if sent:
            log.info("deadline: asked to cancel %d stuck orders", len(sent))
        return sent

    def request_for(self, order: StalledOrder) -> CancellationRequested:
        # The same stuck state gives the same event id on every scan: repeats are ignored.
        seconds = int(self.deadline.total_seconds())
        return CancellationRequested(
            event_id=derived_event_id(order.order_id, "deadline", order.since.isoformat()),
            order_id=order.order_id,
            reason=f"deadline exceeded: no progress in {order.status.value} for over {seconds}s",
            requested_by="deadline",
        )


def register(app: Any, job: DeadlineJob, interval_s: float) -> Any:
    """Run `job` every `interval_s` seconds on the consumer group's leader only."""

    async def order_deadlines() -> None:
        await job.run_once()

    return app.timer(interval=interval_s, on_leader=True, name="orderflow.deadlines")(
        order_deadlines
    )
