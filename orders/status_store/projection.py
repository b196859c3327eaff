"""From order events to status changes: which event puts an order in which status."""

from orders.domain.events import (
    AnyOrderEvent,
    OrderCancelled,
    OrderCompleted,
    OrderPlaced,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    StockReserved,
)
from orders.domain.status import OrderStatus
from orders.status_store.model import StatusChange

STATUS_OF: dict[type, OrderStatus] = {
    OrderPlaced: OrderStatus.PENDING,
    OrderValidated: OrderStatus.VALIDATED,
    OrderRejected: OrderStatus.REJECTED,
    StockReserved: OrderStatus.RESERVED,
    OutOfStock: OrderStatus.OUT_OF_STOCK,
    PaymentCaptured: OrderStatus.PAID,
    PaymentDeclined: OrderStatus.PAYMENT_DECLINED,
    OrderCompleted: OrderStatus.COMPLETED,
    OrderCancelled: OrderStatus.CANCELLED,
}


def status_change(event: AnyOrderEvent, offset: int) -> StatusChange | None:
    """The change `event` (at `offset` in the order event log) makes, or None for events
    that change no status (a single SKU's answer, say)."""
    status = STATUS_OF.get(type(event))
    if status is None:
        return None
    placed = event if isinstance(event, OrderPlaced) else None
    return StatusChange(
        order_id=event.order_id,
        status=status,
        version=offset,
        at=event.occurred_at,
        reason=getattr(event, "reason", None),
        total=placed.total if placed else None,
        customer_id=placed.customer_id if placed else None,
    )
