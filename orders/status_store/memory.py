"""In-memory status store: the fake for unit tests, held to the same contract as Redis."""

from datetime import datetime

from orders.domain.status import can_transition
from orders.status_store.model import HistoryEntry, OrderView, StalledOrder, StatusChange


class InMemoryStatusStore:
    def __init__(self) -> None:
        self.orders: dict[str, OrderView] = {}

    async def apply(self, change: StatusChange) -> bool:
        current = self.orders.get(change.order_id)
        if current is not None and change.version <= current.version:
            return False
        if not can_transition(current.status if current else None, change.status):
            return False
        entry = HistoryEntry(status=change.status, at=change.at, reason=change.reason)
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

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
