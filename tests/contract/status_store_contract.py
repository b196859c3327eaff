"""The StatusStore contract: every adapter (in-memory fake, Redis) must pass these tests.

Use it by subclassing and overriding the `store` fixture with a fresh, empty store:

    class TestMyStore(StatusStoreContract):
        @pytest.fixture
        async def store(self) -> AsyncIterator[StatusStore]:
            ...

The base class is not collected by pytest on its own (its name does not start with Test).
"""

import asyncio
from abc import ABC
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orders.domain.status import OrderStatus
from orders.status_store import StatusChange, StatusStore

S = OrderStatus
ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
OTHER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RV"
T0 = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
HAPPY_PATH = [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.COMPLETED]


def change(
    status: OrderStatus,
    version: int,
    *,
    order_id: str = ORDER_ID,
    reason: str | None = None,
    total: Decimal | None = None,
    customer_id: str | None = None,
) -> StatusChange:
    """A change whose time grows with its version, so updated_at tells which one won."""
    return StatusChange(
        order_id=order_id,
        status=status,
        version=version,
        at=T0 + timedelta(seconds=version),
        reason=reason,
        total=total,
        customer_id=customer_id,
    )


async def apply_path(store: StatusStore, path: list[OrderStatus], first_version: int = 0) -> None:
    for version, status in enumerate(path, start=first_version):
        assert await store.apply(change(status, version)), f"{status} at {version} refused"


class StatusStoreContract(ABC):  # noqa: B024 - abstract by its fixture, not by a method
    @pytest.fixture
    def store(self) -> StatusStore:
        raise NotImplementedError("subclasses provide a fresh, empty `store` fixture")

    async def test_first_pending_creates_the_record(self, store: StatusStore) -> None:
        placed = change(S.PENDING, 7, total=Decimal("12.50"), customer_id="c-1")

        assert await store.apply(placed)

        view = await store.get(ORDER_ID)
        assert view is not None
        assert (view.order_id, view.status, view.version) == (ORDER_ID, S.PENDING, 7)
        assert view.created_at == view.updated_at == placed.at
        assert str(view.total) == "12.50"  # the exact Decimal, trailing zero included
        assert view.customer_id == "c-1"
        assert view.reason is None
        assert [(h.status, h.at, h.reason) for h in view.history] == [(S.PENDING, placed.at, None)]

    @pytest.mark.parametrize("status", [s for s in OrderStatus if s is not S.PENDING])
    async def test_first_write_must_be_pending(
        self, store: StatusStore, status: OrderStatus
    ) -> None:
        assert not await store.apply(change(status, 3))
        assert await store.get(ORDER_ID) is None

    async def test_get_unknown_order_is_none(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING])
        assert await store.get(OTHER_ID) is None

    async def test_older_or_equal_version_is_ignored(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING], first_version=5)

        assert not await store.apply(change(S.VALIDATED, 5))
        assert not await store.apply(change(S.VALIDATED, 4))
        assert await store.apply(change(S.VALIDATED, 6))
        view = await store.get(ORDER_ID)
        assert view is not None
        assert (view.status, view.version) == (S.VALIDATED, 6)

    async def test_same_change_twice_is_applied_once(self, store: StatusStore) -> None:
        placed = change(S.PENDING, 1)
        validated = change(S.VALIDATED, 2)

        assert [await store.apply(c) for c in (placed, placed, validated, validated)] == [
            True,
            False,
            True,
            False,
        ]
        view = await store.get(ORDER_ID)
        assert view is not None
        assert [h.status for h in view.history] == [S.PENDING, S.VALIDATED]

    async def test_a_batch_keeps_or_ignores_each_change_as_one_by_one(
        self, store: StatusStore
    ) -> None:
        placed, validated, reserved = (
            change(S.PENDING, 1), change(S.VALIDATED, 2), change(S.RESERVED, 3)
        )  # fmt: skip
        assert await store.apply_all([]) == 0
        assert await store.apply_all([placed, placed, validated, change(S.PAID, 1)]) == 2
        assert await store.apply_all([validated, reserved]) == 1
        view = await store.get(ORDER_ID)
        assert view is not None
        assert [h.status for h in view.history] == [S.PENDING, S.VALIDATED, S.RESERVED]
        assert view.version == 3

    @pytest.mark.parametrize(
        ("path", "illegal"),
        [
            (HAPPY_PATH, S.VALIDATED),  # out of a terminal state
            ([S.PENDING, S.VALIDATED, S.RESERVED], S.VALIDATED),  # backwards
            ([S.PENDING], S.PAID),  # skipping steps
            ([S.PENDING, S.VALIDATED], S.PENDING),  # placed again
        ],
    )
    async def test_illegal_transition_is_ignored_even_with_a_higher_version(
        self, store: StatusStore, path: list[OrderStatus], illegal: OrderStatus
    ) -> None:
        await apply_path(store, path)
        before = await store.get(ORDER_ID)

        assert not await store.apply(change(illegal, 100))
        assert await store.get(ORDER_ID) == before  # nothing written, history included

    async def test_happy_path_history_is_exactly_the_path(self, store: StatusStore) -> None:
        await apply_path(store, HAPPY_PATH, first_version=10)

        view = await store.get(ORDER_ID)
        assert view is not None
        assert [h.status for h in view.history] == HAPPY_PATH
        assert [h.at for h in view.history] == [
            change(s, v).at for v, s in enumerate(HAPPY_PATH, 10)
        ]
        assert (view.status, view.version) == (S.COMPLETED, 14)

    async def test_first_write_fields_are_kept(self, store: StatusStore) -> None:
        placed = change(S.PENDING, 1, total=Decimal("99.90"), customer_id="first")
        later = change(S.VALIDATED, 2, total=Decimal("1.00"), customer_id="second")

        assert await store.apply(placed)
        assert await store.apply(later)

        view = await store.get(ORDER_ID)
        assert view is not None
        assert (view.created_at, view.updated_at) == (placed.at, later.at)
        assert (view.total, view.customer_id) == (Decimal("99.90"), "first")

    async def test_order_without_total_or_customer(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING])

        view = await store.get(ORDER_ID)
        assert view is not None
        assert (view.total, view.customer_id) == (None, None)

    async def test_reason_belongs_to_the_latest_change(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING])
        assert await store.apply(change(S.VALIDATED, 1, reason="manual review"))
        assert await store.apply(change(S.RESERVED, 2))
        assert await store.apply(change(S.CANCELLED, 3, reason="customer asked"))

        view = await store.get(ORDER_ID)
        assert view is not None
        assert view.reason == "customer asked"
        assert [h.reason for h in view.history] == [None, "manual review", None, "customer asked"]

    async def test_reason_cleared_by_a_change_without_one(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING])
        assert await store.apply(change(S.VALIDATED, 1, reason="manual review"))
        assert await store.apply(change(S.RESERVED, 2))

        view = await store.get(ORDER_ID)
        assert view is not None
        assert view.reason is None

    async def test_orders_are_independent(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING, S.VALIDATED])
        assert await store.apply(change(S.PENDING, 0, order_id=OTHER_ID))

        other = await store.get(OTHER_ID)
        assert other is not None
        assert [h.status for h in other.history] == [S.PENDING]

    async def test_concurrent_applies_of_one_change_win_once(self, store: StatusStore) -> None:
        await apply_path(store, [S.PENDING])

        results = await asyncio.gather(*(store.apply(change(S.VALIDATED, 1)) for _ in range(20)))

        assert results.count(True) == 1
        view = await store.get(ORDER_ID)
        assert view is not None
        assert [h.status for h in view.history] == [S.PENDING, S.VALIDATED]

    async def test_concurrent_competing_changes_apply_one(self, store: StatusStore) -> None:
        # REJECTED and CANCELLED both leave PENDING, but only one may win the race.
        await apply_path(store, [S.PENDING])

        results = await asyncio.gather(
            store.apply(change(S.REJECTED, 1)), store.apply(change(S.CANCELLED, 2))
        )

        assert results.count(True) == 1
        view = await store.get(ORDER_ID)
        assert view is not None
        assert len(view.history) == 2

    async def test_stalled_lists_non_terminal_orders_older_than_a_time(
        self, store: StatusStore
    ) -> None:
        await apply_path(store, [S.PENDING, S.VALIDATED])  # VALIDATED since T0 + 1 s
        other = [S.PENDING, S.VALIDATED, S.RESERVED]
        for version, status in enumerate(other, start=5):  # RESERVED since T0 + 7 s
            assert await store.apply(change(status, version, order_id=OTHER_ID))
        assert await store.stalled(T0 + timedelta(seconds=1)) == []  # strictly older only
        stalled = await store.stalled(T0 + timedelta(seconds=8))
        assert [(s.order_id, s.status, s.since) for s in stalled] == [
            (ORDER_ID, S.VALIDATED, T0 + timedelta(seconds=1)),
            (OTHER_ID, S.RESERVED, T0 + timedelta(seconds=7)),
        ]
        assert [s.order_id for s in await store.stalled(T0 + timedelta(seconds=8), limit=1)] == [
            ORDER_ID
        ]

    async def test_terminal_orders_are_never_stalled(self, store: StatusStore) -> None:
        await apply_path(store, HAPPY_PATH)
        assert await store.stalled(T0 + timedelta(days=1)) == []

    async def test_ping_answers(self, store: StatusStore) -> None:
        await store.ping()
