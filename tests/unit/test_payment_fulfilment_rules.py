"""Payment outcomes, fulfilment and compensation: what each does to the order's stock."""

from decimal import Decimal

from orders.domain.events import (
    CommitStock,
    OrderCompleted,
    PaymentCaptured,
    PaymentDeclined,
    ReleaseStock,
    StockReserved,
    derived_event_id,
)
from orders.domain.fulfilment import compensate, fulfil
from orders.domain.lines import OrderLine
from orders.domain.payment import captured, declined

ORDER = "order-1"
LINES = (
    OrderLine(sku="B", quantity=2, unit_price=Decimal("1.25")),
    OrderLine(sku="A", quantity=1, unit_price=Decimal("0.10")),
    OrderLine(sku="B", quantity=1, unit_price=Decimal("1.25")),
)
TOTAL = Decimal("3.85")


def _reserved(event_id: str = "reserved-1") -> StockReserved:
    return StockReserved(
        event_id=event_id,
        order_id=ORDER,
        items=LINES,
        currency="EUR",
        payment_token="tok_ok",
        total=TOTAL,
        total_minor=385,
    )


def _paid(event_id: str = "paid-1") -> PaymentCaptured:
    return PaymentCaptured(
        event_id=event_id, order_id=ORDER, payment_id="pay_1", amount=TOTAL, items=LINES
    )


def test_captured_carries_amount_items_and_a_derived_id() -> None:
    reserved = _reserved()
    event = captured(reserved, "pay_42")
    assert isinstance(event, PaymentCaptured)
    assert event.order_id == ORDER
    assert event.payment_id == "pay_42"
    assert event.amount == TOTAL
    assert event.items == LINES
    assert event.event_id == derived_event_id(reserved.event_id, "payment")
    assert event.event_id != reserved.event_id


def test_declined_carries_reason_items_and_a_derived_id() -> None:
    reserved = _reserved()
    event = declined(reserved, "insufficient funds")
    assert isinstance(event, PaymentDeclined)
    assert event.order_id == ORDER
    assert event.reason == "insufficient funds"
    assert event.items == LINES
    assert event.event_id == derived_event_id(reserved.event_id, "payment")


def test_payment_ids_are_stable_per_cause_and_differ_between_causes() -> None:
    assert captured(_reserved(), "p").event_id == captured(_reserved(), "p").event_id
    assert captured(_reserved("r-1"), "p").event_id != captured(_reserved("r-2"), "p").event_id
    assert declined(_reserved("r-1"), "x").event_id != declined(_reserved("r-2"), "x").event_id


def test_fulfil_completes_the_order_and_commits_each_sku_once() -> None:
    paid = _paid()
    completed, commits = fulfil(paid)
    assert isinstance(completed, OrderCompleted)
    assert completed.order_id == ORDER
    assert completed.event_id == derived_event_id(paid.event_id, "fulfilment")
    assert all(isinstance(c, CommitStock) for c in commits)
    assert [(c.sku, c.order_id) for c in commits] == [("A", ORDER), ("B", ORDER)]
    ids = [completed.event_id, *(c.event_id for c in commits)]
    assert len(set(ids)) == len(ids)


def test_fulfil_is_deterministic_for_a_redelivered_payment() -> None:
    first_completed, first_commits = fulfil(_paid())
    again_completed, again_commits = fulfil(_paid())
    assert first_completed.event_id == again_completed.event_id
    assert [c.event_id for c in first_commits] == [c.event_id for c in again_commits]
    _, other = fulfil(_paid("paid-2"))
    assert not {c.event_id for c in other} & {c.event_id for c in first_commits}


def test_compensate_releases_each_sku_once() -> None:
    failed = PaymentDeclined(event_id="declined-1", order_id=ORDER, reason="declined", items=LINES)
    releases = compensate(failed)
    assert all(isinstance(r, ReleaseStock) for r in releases)
    assert [(r.sku, r.order_id) for r in releases] == [("A", ORDER), ("B", ORDER)]
    assert [r.event_id for r in releases] == [
        derived_event_id(failed.event_id, "release", "A"),
        derived_event_id(failed.event_id, "release", "B"),
    ]
