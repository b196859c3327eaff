"""In-memory status store: the fake for unit tests, held to the same contract as Redis."""

import time
from collections.abc import Sequence
from datetime import datetime

from orders.domain.status import OrderStatus, can_transition
from orders.status_store.model import HistoryEntry, OrderView, StalledOrder, StatusChange
from orders.status_store.queries import (
    BUCKET_S,
    MOVES_KEPT_S,
    Cursor,
    ListQuery,
    MoveCounts,
    OrderPage,
    Stats,
    bucket_start,
)


class InMemoryStatusStore:
    def __init__(self) -> None:
        self.orders: dict[str, OrderView] = {}
        self.moved: MoveCounts = {}

    async def apply_all(self, changes: Sequence[StatusChange]) -> int:
        written = 0
        for change in changes:
            written += await self.apply(change)
        return written

    async def apply(self, change: StatusChange) -> bool:
        current = self.orders.get(change.order_id)
        if current is not None and change.version <= current.version:
            return False
        if not can_transition(current.status if current else None, change.status):
            return False
        bucket = self.moved.setdefault(bucket_start(change.at.timestamp()), {})
        move = (current.status if current else None, change.status)
        bucket[move] = bucket.get(move, 0) + 1
        entry = HistoryEntry(
            status=change.status, at=change.at, reason=change.reason, version=change.version
        )
        self.orders[change.order_id] = OrderView(
            order_id=change.order_id,
            status=change.status,
            reason=change.reason,
            version=change.version,
            created_at=current.created_at if current else change.at,
            updated_at=change.at,
            total=current.total if current else change.total,
            customer_id=current.customer_id if current else change.customer_id,
            history=(*current.history, entry) if current else (entry,),
        )
        return True

    async def get(self, order_id: str) -> OrderView | None:
        return self.orders.get(order_id)

    async def stalled(self, older_than: datetime, limit: int = 100) -> list[StalledOrder]:
        waiting = sorted(
            (view.updated_at, view.order_id, view.status)
            for view in self.orders.values()
            if not view.status.is_terminal and view.updated_at < older_than
        )
        return [StalledOrder(order_id=o, status=s, since=at) for at, o, s in waiting[:limit]]

    async def list_orders(self, query: ListQuery) -> OrderPage:
        def key(view: OrderView) -> tuple[float, str]:
            return (view.created_at.timestamp(), view.order_id)

        after = query.after
        newest_first = sorted(self.orders.values(), key=key, reverse=True)
        older = [
            v
            for v in newest_first
            if after is None or key(v) < (float(after.score), after.order_id)
        ]
        matching = [
            v
            for v in older
            if (query.status is None or v.status is query.status)
            and (query.customer_id is None or v.customer_id == query.customer_id)
        ]
        page = matching[: query.limit]
        more = len(matching) > query.limit
        last = page[-1] if page else None
        cursor = Cursor(repr(last.created_at.timestamp()), last.order_id) if last and more else None
        return OrderPage(tuple(v.model_copy(update={"history": ()}) for v in page), cursor)

    async def stats(self) -> Stats:
        since = int(time.time()) - 59
        counts = {s: 0 for s in OrderStatus}
        for view in self.orders.values():
            counts[view.status] += 1
        placed = sum(1 for v in self.orders.values() if v.created_at.timestamp() >= since)
        return Stats(counts=counts, placed_last_minute=placed)

    async def moves(self, since: datetime, until: datetime) -> MoveCounts:
        first, last = bucket_start(since.timestamp()), bucket_start(until.timestamp())
        kept_from = time.time() - MOVES_KEPT_S - BUCKET_S  # as Redis expires them
        return {
            start: dict(counts)
            for start, counts in self.moved.items()
            if first <= start <= last and start >= kept_from and counts
        }

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
