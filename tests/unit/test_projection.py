"""Projection: which order event puts an order in which status."""

import typing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orders.domain.events import (
    AnyOrderEvent,
    CancellationRefused,
    CancellationRequested,
    OrderCancelled,
    OrderCompleted,
    OrderPlaced,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
)
from orders.domain.lines import OrderLine
from orders.domain.status import OrderStatus
from orders.status_store.projection import status_change

ORDER = "order-1"
AT = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
LINES = (OrderLine(sku="A", quantity=2, unit_price=Decimal("0.10")),)
TOTAL = Decimal("0.20")
COMMON: dict[str, Any] = {"order_id": ORDER, "occurred_at": AT}
MONEY: dict[str, Any] = {"total": TOTAL, "total_minor": 20}

# (event, status it sets, reason it carries)
CHANGES: list[tuple[Any, OrderStatus, str | None]] = [
    (
        OrderPlaced(
            **COMMON,
            customer_id="cust-1",
            items=LINES,
            currency="EUR",
            payment_token="tok",
            total=TOTAL,
            total_minor=20,
        ),
        OrderStatus.PENDING,
        None,
    ),
    (
        OrderValidated(**COMMON, items=LINES, currency="EUR", payment_token="tok", **MONEY),
        OrderStatus.VALIDATED,
        None,
    ),
    (OrderRejected(**COMMON, reason="too many lines"), OrderStatus.REJECTED, "too many lines"),
    (
        StockReserved(**COMMON, items=LINES, currency="EUR", payment_token="tok", **MONEY),
        OrderStatus.RESERVED,
        None,
    ),
    (OutOfStock(**COMMON, reason="not enough stock"), OrderStatus.OUT_OF_STOCK, "not enough stock"),
    (
        PaymentCaptured(**COMMON, payment_id="pay", amount=TOTAL, items=LINES),
        OrderStatus.PAID,
        None,
    ),
    (
        PaymentDeclined(**COMMON, reason="card declined", items=LINES),
        OrderStatus.PAYMENT_DECLINED,
        "card declined",
    ),
    (OrderCompleted(**COMMON), OrderStatus.COMPLETED, None),
    (OrderCancelled(**COMMON, reason="changed mind"), OrderStatus.CANCELLED, "changed mind"),
]
NO_CHANGE: list[Any] = [
    StockLineReserved(**COMMON, sku="A", quantity=2),
    StockLineRefused(**COMMON, sku="A", quantity=2, available=1),
    StockLineRefused(**COMMON, sku="A", quantity=2, available=0, unknown_sku=True),
    CancellationRequested(**COMMON, reason="changed mind"),
    CancellationRefused(**COMMON, reason="too late to cancel"),
]


def test_samples_cover_every_order_event_type() -> None:
    members = set(typing.get_args(typing.get_args(AnyOrderEvent)[0]))
    assert {type(e) for e, _, _ in CHANGES} | {type(e) for e in NO_CHANGE} == members


@pytest.mark.parametrize(
    ("event", "status", "reason"), CHANGES, ids=[str(status) for _, status, _ in CHANGES]
)
def test_status_changing_events(event: Any, status: OrderStatus, reason: str | None) -> None:
    change = status_change(event, offset=41)
    assert change is not None
    assert change.order_id == ORDER
    assert change.status is status
    assert change.version == 41
    assert change.at == AT
    assert change.reason == reason
    if isinstance(event, OrderPlaced):
        assert change.total == TOTAL
        assert change.customer_id == "cust-1"
    else:
        assert change.total is None
        assert change.customer_id is None


def test_version_is_the_offset() -> None:
    event = CHANGES[0][0]
    versions = [status_change(event, offset) for offset in (0, 1, 9_000_000_000)]
    assert [c.version for c in versions if c is not None] == [0, 1, 9_000_000_000]


@pytest.mark.parametrize("event", NO_CHANGE, ids=lambda e: e.type)
def test_single_sku_answers_change_no_status(event: Any) -> None:
    assert status_change(event, offset=3) is None


def test_every_status_is_reachable_from_some_event() -> None:
    reached = set()
    for event, _, _ in CHANGES:
        change = status_change(event, offset=0)
        assert change is not None
        reached.add(change.status)
    assert reached == set(OrderStatus)
