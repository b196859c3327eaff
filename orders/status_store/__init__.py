"""The status table: a projection of the order event log, one record per order."""

from orders.status_store.model import HistoryEntry, OrderView, StalledOrder, StatusChange
from orders.status_store.port import StatusStore

__all__ = ["HistoryEntry", "OrderView", "StalledOrder", "StatusChange", "StatusStore"]
