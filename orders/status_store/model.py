"""What the status table holds per order."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from orders.domain.status import OrderStatus


class StatusChange(BaseModel):
    """One status change to apply. `version` is the event's offset in the order event log:
    all of an order's events are in one partition, so it grows with every change."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    status: OrderStatus
    version: int
    at: datetime
    reason: str | None = None
    total: Decimal | None = None  # known from OrderPlaced
    customer_id: str | None = None  # known from OrderPlaced


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: OrderStatus
    at: datetime
    reason: str | None = None
    # The change's version; None in entries written before entries carried it.
    version: int | None = None


class OrderView(BaseModel):
    """An order as the status API shows it."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    status: OrderStatus
    reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    total: Decimal | None
    customer_id: str | None = None
    history: tuple[HistoryEntry, ...]


class StalledOrder(BaseModel):
    """An order that has been in a non-terminal status since `since` (for the deadline job)."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    status: OrderStatus
    since: datetime
