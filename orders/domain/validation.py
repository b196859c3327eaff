"""Validation stage rules: is an order within the limits we accept?"""

from dataclasses import dataclass
from decimal import Decimal

from orders.domain.events import OrderPlaced, OrderRejected, OrderValidated, derived_event_id
from orders.domain.lines import order_total


@dataclass(frozen=True)
class Limits:
    max_lines: int = 50
    max_line_quantity: int = 100
    max_order_total: Decimal = Decimal("10000")


def rejection_reason(placed: OrderPlaced, limits: Limits) -> str | None:
    """Why the order must be rejected, or None when it is acceptable."""
    if len(placed.items) > limits.max_lines:
        return f"too many lines: {len(placed.items)} > {limits.max_lines}"
    for line in placed.items:
        if line.quantity > limits.max_line_quantity:
            return (
                f"quantity of {line.sku} over limit: {line.quantity} > {limits.max_line_quantity}"
            )
    total = order_total(placed.items)
    if total != placed.total:
        return f"total {placed.total} does not match its lines ({total})"
    if total > limits.max_order_total:
        return f"order total over limit: {total} > {limits.max_order_total}"
    return None


def validate(placed: OrderPlaced, limits: Limits) -> OrderValidated | OrderRejected:
    event_id = derived_event_id(placed.event_id, "validation")
    reason = rejection_reason(placed, limits)
    if reason is not None:
        return OrderRejected(event_id=event_id, order_id=placed.order_id, reason=reason)
    return OrderValidated(event_id=event_id, **placed.terms())
