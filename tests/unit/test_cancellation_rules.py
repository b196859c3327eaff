"""Cancellation: allowed until payment is settled; decided once, repeated identically."""

from decimal import Decimal

import pytest

from orders.domain.cancellation import (
    CANCELLABLE,
    ENDED,
    PaymentRecord,
    Phase,
    outcome_to_repeat,
    request_cancellation,
    settled,
)
from orders.domain.events import (
    CancellationRefused,
    CancellationRequested,
    OrderCancelled,
    PaymentCaptured,
    PaymentDeclined,
    derived_event_id,
)
from orders.domain.lines import OrderLine
from orders.domain.status import OrderStatus

ORDER = "order-1"
LINES = (OrderLine(sku="A", quantity=1, unit_price=Decimal("2.00")),)


def _request(event_id: str = "req-1", reason: str = "changed my mind") -> CancellationRequested:
    return CancellationRequested(event_id=event_id, order_id=ORDER, reason=reason)


def _captured() -> PaymentCaptured:
    return PaymentCaptured(
        event_id="paid-1", order_id=ORDER, payment_id="p", amount=Decimal("2.00"), items=LINES
    )


def test_a_request_before_any_payment_outcome_cancels_the_order() -> None:
    record, events = request_cancellation(None, _request())
    assert record.phase is Phase.CANCELLED
    assert events == [
        OrderCancelled(
            event_id=derived_event_id("req-1", "cancelled"),
            order_id=ORDER,
            reason="changed my mind",
            occurred_at=events[0].occurred_at,
        )
    ]


def test_a_redelivered_request_sends_the_same_cancellation_again() -> None:
    record, first = request_cancellation(None, _request())
    again, second = request_cancellation(record, _request())
    assert again == record
    assert second == first  # same event id: consumers ignore the repeat


def test_a_second_request_after_cancelling_changes_nothing() -> None:
    record, first = request_cancellation(None, _request("req-1"))
    _, second = request_cancellation(record, _request("req-2", "deadline"))
    assert second == first


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (settled(_captured()), "captured"),
        (
            settled(PaymentDeclined(order_id=ORDER, reason="card declined", items=LINES)),
            "declined",
        ),
        (ENDED, "ended"),
    ],
)
def test_a_request_after_settlement_or_end_is_refused(record: PaymentRecord, why: str) -> None:
    after, events = request_cancellation(record, _request())
    assert after == record
    [refused] = events
    assert isinstance(refused, CancellationRefused)
    assert refused.event_id == derived_event_id("req-1", "refused")
    assert why in refused.reason


def test_stock_reserved_is_charged_only_when_nothing_was_decided() -> None:
    assert outcome_to_repeat(None) is None
    cancelled, _ = request_cancellation(None, _request())
    assert outcome_to_repeat(cancelled) == []
    captured = _captured()
    assert outcome_to_repeat(settled(captured)) == [captured]
    assert outcome_to_repeat(ENDED) == []


def test_records_round_trip_through_json() -> None:
    for record in (settled(_captured()), ENDED, request_cancellation(None, _request())[0]):
        assert PaymentRecord.model_validate_json(record.model_dump_json()) == record


def test_cancellable_statuses_are_those_before_payment() -> None:
    assert {OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.RESERVED} == CANCELLABLE
    for status in CANCELLABLE:
        assert OrderStatus.CANCELLED in {*_targets(status)}


def _targets(status: OrderStatus) -> frozenset[OrderStatus]:
    from orders.domain.status import TRANSITIONS

    return TRANSITIONS[status]
