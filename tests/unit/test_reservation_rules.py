"""Reservation saga: an order reserves all of its SKUs or none of them."""

from decimal import Decimal

from orders.domain.events import (
    OrderCancelled,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    ReleaseStock,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
)
from orders.domain.lines import OrderLine
from orders.domain.reservation import Reservation, cancel, record, start

ORDER = "order-1"


def _validated(event_id: str = "validated-1") -> OrderValidated:
    lines = (
        OrderLine(sku="B", quantity=2, unit_price=Decimal("1.50")),
        OrderLine(sku="A", quantity=1, unit_price=Decimal("10.00")),
        OrderLine(sku="B", quantity=3, unit_price=Decimal("1.50")),
    )
    return OrderValidated(
        event_id=event_id,
        order_id=ORDER,
        items=lines,
        currency="EUR",
        payment_token="tok_ok",
        total=Decimal("17.50"),
        total_minor=1750,
    )


def _held(sku: str, quantity: int) -> StockLineReserved:
    return StockLineReserved(order_id=ORDER, sku=sku, quantity=quantity)


def _short(sku: str, quantity: int, available: int) -> StockLineRefused:
    return StockLineRefused(order_id=ORDER, sku=sku, quantity=quantity, available=available)


def _unknown(sku: str, quantity: int) -> StockLineRefused:
    return StockLineRefused(
        order_id=ORDER, sku=sku, quantity=quantity, available=0, unknown_sku=True
    )


def _releases(stock_events: list) -> list[tuple[str, str]]:
    assert all(isinstance(e, ReleaseStock) for e in stock_events)
    return [(e.sku, e.order_id) for e in stock_events]


def _started() -> Reservation:
    reservation, _ = start(_validated())
    return reservation


def test_start_requests_one_reservation_per_distinct_sku_with_summed_quantities() -> None:
    validated = _validated()
    reservation, requests = start(validated)
    assert [(r.sku, r.order_id, r.quantity) for r in requests] == [
        ("A", ORDER, 1),
        ("B", ORDER, 5),
    ]
    assert len({r.event_id for r in requests}) == 2
    assert reservation.validated == validated
    assert reservation.held == {}
    assert reservation.refused == {}
    assert reservation.decided is False
    assert reservation.complete is False


def test_start_is_deterministic_for_the_same_cause_and_differs_per_cause() -> None:
    _, first = start(_validated())
    _, again = start(_validated())
    _, other = start(_validated(event_id="validated-2"))
    assert [r.event_id for r in first] == [r.event_id for r in again]
    assert not {r.event_id for r in first} & {r.event_id for r in other}


def test_all_reserved_completes_with_one_stock_reserved_only_at_the_end() -> None:
    reservation, (events, stock) = record(_started(), _held("B", 5))
    assert (events, stock) == ([], [])
    assert reservation.decided is False

    reservation, (events, stock) = record(reservation, _held("A", 1))
    assert reservation.decided is True
    assert stock == []
    assert len(events) == 1
    reserved = events[0]
    assert isinstance(reserved, StockReserved)
    validated = _validated()
    assert reserved.order_id == ORDER
    assert reserved.items == validated.items
    assert reserved.total == validated.total
    assert reserved.payment_token == "tok_ok"
    assert reserved.currency == "EUR"


def test_decision_event_id_is_deterministic() -> None:
    def decide() -> str:
        reservation, _ = record(_started(), _held("A", 1))
        _, (events, _) = record(reservation, _held("B", 5))
        return events[0].event_id

    assert decide() == decide()


def test_one_refusal_gives_out_of_stock_and_releases_what_is_held() -> None:
    reservation, effects = record(_started(), _held("A", 1))
    assert effects == ([], [])
    reservation, (events, stock) = record(reservation, _short("B", 5, 2))
    assert reservation.decided is True
    assert len(events) == 1
    out = events[0]
    assert isinstance(out, OutOfStock)
    assert out.order_id == ORDER
    assert "B" in out.reason
    assert "wanted 5" in out.reason
    assert "available 2" in out.reason
    assert _releases(stock) == [("A", ORDER)]


def test_all_refused_releases_nothing() -> None:
    reservation, _ = record(_started(), _short("A", 1, 0))
    _, (events, stock) = record(reservation, _short("B", 5, 4))
    assert isinstance(events[0], OutOfStock)
    assert "A (wanted 1, available 0)" in events[0].reason
    assert "B (wanted 5, available 4)" in events[0].reason
    assert stock == []


def test_unknown_sku_rejects_the_order_and_releases_what_is_held() -> None:
    reservation, _ = record(_started(), _held("B", 5))
    reservation, (events, stock) = record(reservation, _unknown("A", 1))
    assert len(events) == 1
    rejected = events[0]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason == "unknown SKU: A"
    assert _releases(stock) == [("B", ORDER)]


def test_unknown_sku_wins_over_out_of_stock() -> None:
    reservation, _ = record(_started(), _short("B", 5, 1))
    _, (events, _) = record(reservation, _unknown("A", 1))
    assert isinstance(events[0], OrderRejected)
    assert events[0].reason == "unknown SKU: A"


def test_duplicate_answers_before_completion_do_not_complete_early() -> None:
    reservation, _ = record(_started(), _held("B", 5))
    for _ in range(3):
        reservation, effects = record(reservation, _held("B", 5))
        assert effects == ([], [])
        assert reservation.decided is False
    reservation, _ = record(reservation, _short("B", 5, 0))
    assert reservation.decided is False


def test_duplicate_answer_after_the_decision_changes_nothing() -> None:
    reservation, _ = record(_started(), _held("A", 1))
    decided, _ = record(reservation, _held("B", 5))
    for answer in (_held("A", 1), _held("B", 5)):
        after, effects = record(decided, answer)
        assert after == decided
        assert effects == ([], [])


def test_duplicate_answer_after_a_negative_decision_changes_nothing() -> None:
    reservation, _ = record(_started(), _held("A", 1))
    decided, _ = record(reservation, _short("B", 5, 0))
    for answer in (_held("A", 1), _short("B", 5, 0)):
        after, effects = record(decided, answer)
        assert after == decided
        assert effects == ([], [])


def test_late_hold_after_a_negative_decision_is_released() -> None:
    reservation, _ = record(_started(), _short("B", 5, 0))
    decided, _ = record(reservation, _unknown("A", 1))
    assert decided.decided is True
    # B's owner later (say, on a redelivered request after a restock) holds stock after all.
    after, (events, stock) = record(decided, _held("B", 5))
    assert after == decided
    assert events == []
    assert _releases(stock) == [("B", ORDER)]


def test_late_hold_after_a_positive_decision_is_kept() -> None:
    reservation, _ = record(_started(), _held("A", 1))
    decided, _ = record(reservation, _held("B", 5))
    _, (events, stock) = record(decided, _held("B", 5))
    assert (events, stock) == ([], [])


def _cancelled(event_id: str = "cancelled-1") -> OrderCancelled:
    return OrderCancelled(event_id=event_id, order_id=ORDER, reason="changed my mind")


def test_cancel_before_the_saga_starts_leaves_a_marker_and_releases_nothing() -> None:
    marker, releases = cancel(None, _cancelled())
    assert releases == []
    assert marker.cancelled
    assert marker.decided
    assert marker.validated is None
    assert Reservation.model_validate_json(marker.model_dump_json()) == marker


def test_cancel_in_flight_releases_every_wanted_sku_held_or_not() -> None:
    reservation, _ = record(_started(), _held("A", 1))  # B not answered yet
    after, releases = cancel(reservation, _cancelled())
    assert _releases(releases) == [("A", ORDER), ("B", ORDER)]
    assert after.cancelled
    assert after.decided


def test_cancel_after_stock_reserved_releases_everything_held() -> None:
    reservation, _ = record(_started(), _held("A", 1))
    reservation, _ = record(reservation, _held("B", 5))
    _, releases = cancel(reservation, _cancelled())
    assert _releases(releases) == [("A", ORDER), ("B", ORDER)]


def test_cancel_after_a_failed_reservation_releases_nothing_more() -> None:
    reservation, _ = record(_started(), _short("A", 1, 0))
    reservation, _ = record(reservation, _held("B", 5))
    _, releases = cancel(reservation, _cancelled())
    assert releases == []


def test_cancel_twice_releases_once() -> None:
    after, _ = cancel(_started(), _cancelled())
    again, releases = cancel(after, _cancelled("cancelled-2"))
    assert again == after
    assert releases == []


def test_a_hold_granted_after_cancelling_is_released_at_once() -> None:
    after, _ = cancel(_started(), _cancelled())
    unchanged, (order_events, stock_events) = record(after, _held("B", 5))
    assert unchanged == after
    assert order_events == []
    assert _releases(stock_events) == [("B", ORDER)]
    _, (order_events, stock_events) = record(after, _short("A", 1, 0))
    assert order_events == []
    assert stock_events == []


def test_answers_for_a_saga_cancelled_before_it_started_release_holds() -> None:
    marker, _ = cancel(None, _cancelled())
    _, (order_events, stock_events) = record(marker, _held("A", 1))
    assert order_events == []
    assert _releases(stock_events) == [("A", ORDER)]
