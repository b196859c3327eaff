"""Validation stage: accept orders within limits, reject the rest with a readable reason."""

from decimal import Decimal

import pytest

from orders.contracts.codec import decode_order_event, encode
from orders.domain.events import OrderPlaced, OrderRejected, OrderValidated
from orders.domain.lines import OrderLine
from orders.domain.money import to_minor_units
from orders.domain.validation import Limits, rejection_reason, validate

LIMITS = Limits(max_lines=3, max_line_quantity=10, max_order_total=Decimal("100.00"))


def _line(sku: str = "SKU-1", quantity: int = 1, price: str = "1.00") -> OrderLine:
    return OrderLine(sku=sku, quantity=quantity, unit_price=Decimal(price))


def _placed(*lines: OrderLine, total: str | None = None, event_id: str = "evt-1") -> OrderPlaced:
    lines = lines or (_line(),)
    computed = sum((line.subtotal for line in lines), Decimal(0))
    amount = Decimal(total) if total is not None else computed
    return OrderPlaced(
        event_id=event_id,
        order_id="order-1",
        customer_id="cust-1",
        items=lines,
        currency="EUR",
        payment_token="tok_ok",
        total=amount,
        total_minor=to_minor_units(amount, "EUR"),
    )


def _rejected(placed: OrderPlaced) -> str:
    result = validate(placed, LIMITS)
    assert isinstance(result, OrderRejected)
    assert result.order_id == placed.order_id
    assert rejection_reason(placed, LIMITS) == result.reason
    return result.reason


def test_accepts_a_fine_order_and_carries_what_later_stages_need() -> None:
    placed = _placed(_line("A", 2, "10.00"), _line("B", 10, "0.50"), total="25.00")
    result = validate(placed, LIMITS)
    assert isinstance(result, OrderValidated)
    assert result.order_id == "order-1"
    assert result.items == placed.items
    assert result.total == Decimal("25.00")
    assert result.payment_token == "tok_ok"
    assert result.currency == "EUR"
    assert result.event_id != placed.event_id
    assert rejection_reason(placed, LIMITS) is None


def test_accepts_an_order_exactly_at_every_limit() -> None:
    placed = _placed(_line("A", 10, "5.00"), _line("B", 1, "25.00"), _line("C", 1, "25.00"))
    assert placed.total == LIMITS.max_order_total
    assert isinstance(validate(placed, LIMITS), OrderValidated)


def test_accepts_decimal_cents_that_floats_would_get_wrong() -> None:
    placed = _placed(_line("A", 1, "0.10"), _line("B", 1, "0.20"), total="0.30")
    assert isinstance(validate(placed, LIMITS), OrderValidated)


def test_rejects_too_many_lines() -> None:
    placed = _placed(*(_line(f"S{i}") for i in range(4)))
    assert _rejected(placed) == "too many lines: 4 > 3"


def test_rejects_a_line_over_the_quantity_limit() -> None:
    placed = _placed(_line("A", 10), _line("BIG-1", 11))
    reason = _rejected(placed)
    assert "BIG-1" in reason
    assert "11 > 10" in reason


def test_rejects_total_over_limit() -> None:
    placed = _placed(_line("A", 1, "60.00"), _line("B", 1, "40.01"))
    assert placed.total == Decimal("100.01")
    reason = _rejected(placed)
    assert "over limit" in reason
    assert "100.01" in reason
    assert "100.00" in reason


@pytest.mark.parametrize("claimed", ["2.99", "3.01", "0", "30.00"])
def test_rejects_total_not_matching_lines(claimed: str) -> None:
    placed = _placed(_line("A", 3, "1.00"), total=claimed)
    reason = _rejected(placed)
    assert "does not match" in reason
    assert claimed in reason
    assert "3.00" in reason


def test_default_limits() -> None:
    limits = Limits()
    assert (limits.max_lines, limits.max_line_quantity) == (50, 100)
    assert limits.max_order_total == Decimal("10000")


def test_event_id_is_stable_for_the_same_cause() -> None:
    placed = _placed(event_id="evt-42")
    redelivered = decode_order_event(encode(placed))
    assert isinstance(redelivered, OrderPlaced)
    first, again = validate(placed, LIMITS), validate(redelivered, LIMITS)
    assert first.event_id == again.event_id
    assert first == again.model_copy(update={"occurred_at": first.occurred_at})


def test_event_id_is_stable_for_a_rejection_too() -> None:
    placed = _placed(_line("A", 11), event_id="evt-7")
    assert validate(placed, LIMITS).event_id == validate(placed, LIMITS).event_id


def test_event_id_differs_per_cause() -> None:
    ids = {validate(_placed(event_id=f"evt-{i}"), LIMITS).event_id for i in range(20)}
    assert len(ids) == 20
    assert not ids & {f"evt-{i}" for i in range(20)}
