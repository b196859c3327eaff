"""The deadline job: stuck orders get a cancellation request; paid ones are only reported."""

from datetime import UTC, datetime, timedelta

from orders.domain.status import OrderStatus
from orders.errors import StoreUnavailable
from orders.status_store import StalledOrder, StatusChange, StatusStore
from orders.status_store.memory import InMemoryStatusStore
from stream_processors.deadlines import DeadlineJob
from stream_processors.outbox import RecordingOutbox

S = OrderStatus
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEADLINE = timedelta(seconds=60)


async def put(
    store: InMemoryStatusStore, order_id: str, path: list[OrderStatus], at: datetime
) -> None:
    for version, status in enumerate(path):
        assert await store.apply(
            StatusChange(order_id=order_id, status=status, version=version, at=at)
        )


def job(store: StatusStore, outbox: RecordingOutbox) -> DeadlineJob:
    async def current() -> StatusStore:
        return store

    return DeadlineJob(DEADLINE, batch=10, store=current, outbox=outbox)


async def test_orders_stuck_before_payment_get_a_cancellation_request() -> None:
    store, outbox = InMemoryStatusStore(), RecordingOutbox()
    await put(store, "stuck-reserved", [S.PENDING, S.VALIDATED, S.RESERVED], T0)
    await put(store, "stuck-pending", [S.PENDING], T0 + timedelta(seconds=5))
    await put(store, "recent", [S.PENDING], T0 + timedelta(seconds=100))
    await put(store, "done", [S.PENDING, S.REJECTED], T0)

    sent = await job(store, outbox).run_once(now=T0 + timedelta(seconds=120))

    assert [r.order_id for r in sent] == ["stuck-reserved", "stuck-pending"]
    assert outbox.order_events == sent
    first = sent[0]
    assert first.requested_by == "deadline"
    assert first.reason == "deadline exceeded: no progress in RESERVED for over 60s"


async def test_a_paid_order_is_reported_not_cancelled() -> None:
    store, outbox = InMemoryStatusStore(), RecordingOutbox()
    await put(store, "paid", [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID], T0)

    assert await job(store, outbox).run_once(now=T0 + timedelta(hours=1)) == []
    assert outbox.order_events == []


async def test_the_same_stuck_state_gives_the_same_event_id_every_scan() -> None:
    store, outbox = InMemoryStatusStore(), RecordingOutbox()
    await put(store, "stuck", [S.PENDING], T0)
    deadline_job = job(store, outbox)

    first = await deadline_job.run_once(now=T0 + timedelta(minutes=2))
    second = await deadline_job.run_once(now=T0 + timedelta(minutes=3))

    assert [e.event_id for e in first] == [e.event_id for e in second]
    other = deadline_job.request_for(
        StalledOrder(order_id="stuck", status=S.VALIDATED, since=T0 + timedelta(seconds=1))
    )
    assert other.event_id != first[0].event_id


class DownStore(InMemoryStatusStore):
    async def stalled(self, older_than: datetime, limit: int = 100) -> list[StalledOrder]:
        raise StoreUnavailable("redis is down")


async def test_a_scan_with_the_store_down_sends_nothing_and_does_not_raise() -> None:
    outbox = RecordingOutbox()
    assert await job(DownStore(), outbox).run_once(now=T0) == []
    assert outbox.order_events == []
