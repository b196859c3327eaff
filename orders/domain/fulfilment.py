"""Fulfilment and compensation rules: what happens to held stock at the end of an order."""

from orders.domain.events import (
    CommitStock,
    OrderCompleted,
    PaymentCaptured,
    PaymentDeclined,
    ReleaseStock,
    derived_event_id,
)
from orders.domain.lines import OrderLine, quantities_by_sku


def fulfil(paid: PaymentCaptured) -> tuple[OrderCompleted, list[CommitStock]]:
    """The order is handed over: its held stock leaves the shelf for good."""
    commits = [
        CommitStock(
            event_id=derived_event_id(paid.event_id, "commit", sku),
            sku=sku,
            order_id=paid.order_id,
        )
        for sku in _skus(paid.items)
    ]
    completed = OrderCompleted(
        event_id=derived_event_id(paid.event_id, "fulfilment"), order_id=paid.order_id
    )
    return completed, commits


def compensate(failed: PaymentDeclined) -> list[ReleaseStock]:
    """Give back every SKU the order holds; releasing what is not held is a no-op.
    (A cancelled order's stock is given back by the reservation stage, which knows it.)"""
    return [
        ReleaseStock(
            event_id=derived_event_id(failed.event_id, "release", sku),
            sku=sku,
            order_id=failed.order_id,
        )
        for sku in _skus(failed.items)
    ]


def _skus(lines: tuple[OrderLine, ...]) -> list[str]:
    return sorted(quantities_by_sku(lines))
