"""Listing and counting orders (GET /orders, GET /stats): every store passes these tests.

Subclasses provide a fresh, empty `store` fixture, as for StatusStoreContract.
"""

import time
from abc import ABC
from datetime import UTC, datetime, timedelta

import pytest

from orders.domain.status import OrderStatus
from orders.status_store import StatusChange, StatusStore
from orders.status_store.queries import BUCKET_S, ListQuery, bucket_start

S = OrderStatus
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def order_id(n: int) -> str:
    return f"01JD3Q7ZK5V9W8X2Y4N6M0P{n:03d}"


async def place(
    store: StatusStore, n: int, *, customer: str = "c-1", at: datetime | None = None
) -> None:
    """Order n, placed at T0 + n seconds (so a higher n is newer), at offset 10 n."""
    change = StatusChange(
        order_id=order_id(n),
        status=S.PENDING,
        version=10 * n,
        at=at or T0 + timedelta(seconds=n),
        customer_id=customer,
    )
    assert await store.apply(change)


async def move(store: StatusStore, n: int, *path: OrderStatus) -> None:
    for step, status in enumerate(path, start=1):
        change = StatusChange(
            order_id=order_id(n), status=status, version=10 * n + step, at=T0 + timedelta(hours=1)
        )
        assert await store.apply(change)


async def all_pages(store: StatusStore, query: ListQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page = await store.list_orders(query)
        pages.append([view.order_id for view in page.orders])
        if page.next is None or len(pages) > 20:
            return pages
        query = ListQuery(query.status, query.customer_id, query.limit, page.next)


class OrderQueriesContract(ABC):  # noqa: B024 - abstract by its fixture, not by a method
    @pytest.fixture
    def store(self) -> StatusStore:
        raise NotImplementedError

    async def test_empty_table_lists_nothing(self, store: StatusStore) -> None:
        page = await store.list_orders(ListQuery())
        assert (page.orders, page.next) == ((), None)

    async def test_newest_first_in_pages_without_repeats(self, store: StatusStore) -> None:
        for n in range(7):
            await place(store, n)

        pages = await all_pages(store, ListQuery(limit=3))

        assert pages == [
            [order_id(6), order_id(5), order_id(4)],
            [order_id(3), order_id(2), order_id(1)],
            [order_id(0)],
        ]

    async def test_orders_placed_at_the_same_time_are_paged_by_id(self, store: StatusStore) -> None:
        for n in range(5):
            await place(store, n, at=T0)

        pages = await all_pages(store, ListQuery(limit=2))

        assert [o for page in pages for o in page] == [order_id(n) for n in (4, 3, 2, 1, 0)]
        assert len(pages) == 3

    async def test_listed_orders_show_their_latest_status(self, store: StatusStore) -> None:
        await place(store, 1)
        await move(store, 1, S.VALIDATED, S.REJECTED)

        (view,) = (await store.list_orders(ListQuery())).orders

        assert (view.status, view.version, view.history) == (S.REJECTED, 12, ())
        assert view.created_at == T0 + timedelta(seconds=1)

    async def test_filter_by_status_follows_the_changes(self, store: StatusStore) -> None:
        for n in range(4):
            await place(store, n)
        await move(store, 1, S.VALIDATED)
        await move(store, 3, S.VALIDATED)

        pending = await all_pages(store, ListQuery(status=S.PENDING))
        validated = await all_pages(store, ListQuery(status=S.VALIDATED))

        assert pending == [[order_id(2), order_id(0)]]
        assert validated == [[order_id(3), order_id(1)]]

    async def test_filter_by_customer_and_status(self, store: StatusStore) -> None:
        for n in range(6):
            await place(store, n, customer="even" if n % 2 == 0 else "odd")
        await move(store, 4, S.VALIDATED)

        evens = await all_pages(store, ListQuery(customer_id="even", limit=2))
        pending_evens = await all_pages(store, ListQuery(S.PENDING, "even"))

        assert [o for page in evens for o in page] == [order_id(4), order_id(2), order_id(0)]
        assert [o for page in pending_evens for o in page] == [order_id(2), order_id(0)]
        assert await all_pages(store, ListQuery(customer_id="nobody")) == [[]]

    async def test_stats_count_statuses_and_recent_orders(self, store: StatusStore) -> None:
        for n in range(3):
            await place(store, n)  # placed in 2025: not in the last minute
        await move(store, 0, S.VALIDATED, S.REJECTED)
        now = datetime.fromtimestamp(time.time(), UTC)
        for n in range(3, 5):
            await place(store, n, at=now)

        stats = await store.stats()

        assert stats.counts[S.PENDING] == 4
        assert stats.counts[S.REJECTED] == 1
        assert stats.counts[S.VALIDATED] == 0
        assert stats.placed_last_minute == 2

    async def test_moves_are_counted_per_bucket_of_their_time(self, store: StatusStore) -> None:
        now = datetime.fromtimestamp(bucket_start(time.time()) + 3, UTC)  # 3 s into a bucket
        earlier = now - timedelta(seconds=BUCKET_S)
        await place(store, 1, at=earlier)
        await place(store, 2, at=now)
        await place(store, 3, at=now)
        await store.apply(
            StatusChange(order_id=order_id(2), status=S.VALIDATED, version=21, at=now)
        )
        await store.apply(StatusChange(order_id=order_id(2), status=S.REJECTED, version=22, at=now))
        # old or repeated changes are not counted
        await store.apply(StatusChange(order_id=order_id(2), status=S.REJECTED, version=22, at=now))
        await store.apply(StatusChange(order_id=order_id(3), status=S.PAID, version=31, at=now))

        counts = await store.moves(earlier, now)

        assert counts == {
            bucket_start(earlier.timestamp()): {(None, S.PENDING): 1},
            bucket_start(now.timestamp()): {
                (None, S.PENDING): 2,
                (S.PENDING, S.VALIDATED): 1,
                (S.VALIDATED, S.REJECTED): 1,
            },
        }
        assert await store.moves(now, now + timedelta(minutes=1)) == {
            bucket_start(now.timestamp()): counts[bucket_start(now.timestamp())]
        }

    async def test_moves_of_long_ago_are_not_kept(self, store: StatusStore) -> None:
        await place(store, 1)  # in 2025
        await move(store, 1, S.VALIDATED)

        assert await store.moves(T0 - timedelta(minutes=1), T0 + timedelta(hours=2)) == {}
