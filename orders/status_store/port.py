"""The status store port. The Redis adapter and the in-memory fake both pass tests/contract."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from orders.status_store.model import OrderView, StalledOrder, StatusChange
from orders.status_store.queries import ListQuery, MoveCounts, OrderPage, Stats


class StatusStore(Protocol):
    async def apply(self, change: StatusChange) -> bool:
        """Atomically apply `change`; False (and nothing written) when it is old, repeated or
        not a legal transition from the stored status. Raises StoreUnavailable."""
        ...

    async def apply_all(self, changes: Sequence[StatusChange]) -> int:
        """Apply `changes` in order, atomically as one write (one round trip on Redis): each
        is kept or ignored exactly as `apply` would. How many were written. Raises
        StoreUnavailable."""
        ...

    async def get(self, order_id: str) -> OrderView | None:
        """The order as last written, or None. Raises StoreUnavailable."""
        ...

    async def stalled(self, older_than: datetime, limit: int = 100) -> list[StalledOrder]:
        """Orders in a non-terminal status they entered before `older_than`, oldest first.
        Raises StoreUnavailable."""
        ...

    async def list_orders(self, query: ListQuery) -> OrderPage:
        """A page of orders, newest first (orders/status_store/queries.py), without their
        history. Raises StoreUnavailable."""
        ...

    async def stats(self) -> Stats:
        """Orders per status and orders placed in the last minute. Raises StoreUnavailable."""
        ...

    async def moves(self, since: datetime, until: datetime) -> MoveCounts:
        """Status changes counted per bucket (queries.BUCKET_S) by the time of the change, for
        the buckets from the one holding `since` to the one holding `until`; empty buckets are
        left out. Buckets are kept MOVES_KEPT_S after they end. Raises StoreUnavailable."""
        ...

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        ...

    async def close(self) -> None: ...
