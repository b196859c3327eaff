"""A log holding both schema versions projects to the right status table: v1 events as v1
writers wrote them, v2 events from today's writers, and orders whose log has both."""

from decimal import Decimal

from orders.contracts.codec import decode_order_event, encode
from orders.domain.events import (
    OrderCompleted,
    OrderValidated,
    PaymentCaptured,
    StockReserved,
    derived_event_id,
)
from orders.domain.status import OrderStatus as S
from orders.status_store.memory import InMemoryStatusStore
from orders.status_store.projection import status_change
from tests.fixtures.events_v1 import ORDER_EVENTS, as_json
from tests.unit.stage_helpers import placed

V1_ORDER = "01JPBX4Z7K3M9Q2R5T8V0W1Y3A"  # the fixture's completed order
MIXED = "01JPBX4Z7K3M9Q2R5T8V0W1Y3G"  # placed and validated by v1 writers, then upgraded
NEWEST = "01JPBX4Z7K3M9Q2R5T8V0W1Y3H"  # only v2 events


def _v2_log(order_id: str) -> list[bytes]:
    p = placed(order_id)
    v = OrderValidated(event_id=derived_event_id(p.event_id, "validation"), **p.terms())
    r = StockReserved(event_id=derived_event_id(v.event_id, "reserved"), **v.terms())
    paid = PaymentCaptured(order_id=order_id, payment_id="pay_h", amount=r.total, items=r.items)
    return [encode(e) for e in (p, v, r, paid, OrderCompleted(order_id=order_id))]


def _mixed_log() -> list[bytes]:
    """The fixture's first order placed and validated at v1 (under a new id), then finished by
    upgraded workers from what they decoded (v2)."""
    v1 = [raw.replace(V1_ORDER.encode(), MIXED.encode()) for raw in ORDER_EVENTS[:2]]
    validated = decode_order_event(v1[1])
    assert isinstance(validated, OrderValidated)
    r = StockReserved(event_id=derived_event_id(validated.event_id, "r"), **validated.terms())
    paid = PaymentCaptured(order_id=MIXED, payment_id="pay_g", amount=r.total, items=r.items)
    return [*v1, *(encode(e) for e in (r, paid, OrderCompleted(order_id=MIXED)))]


def _interleave(*logs: list[bytes]) -> list[bytes]:
    """One partition holding several orders' logs, each in its own order."""
    merged: list[bytes] = []
    for i in range(max(len(log) for log in logs)):
        merged += [log[i] for log in logs if i < len(log)]
    return merged


async def _project(log: list[bytes]) -> InMemoryStatusStore:
    store = InMemoryStatusStore()
    for offset, raw in enumerate(log):
        change = status_change(decode_order_event(raw), offset)
        if change is not None:
            assert await store.apply(change), f"offset {offset} was not applied"
    return store


async def test_a_log_of_both_versions_projects_to_the_right_table() -> None:
    assert {as_json(raw)["schema_version"] for raw in ORDER_EVENTS} == {1}
    log = _interleave(ORDER_EVENTS, _mixed_log(), _v2_log(NEWEST))
    assert {as_json(raw)["schema_version"] for raw in log} == {1, 2}
    store = await _project(log)

    final = {o.order_id[-1]: (o.status, o.reason) for o in store.orders.values()}
    assert final == {
        "A": (S.COMPLETED, None),
        "B": (S.REJECTED, "quantity of FRIES over limit: 500 > 100"),
        "C": (S.OUT_OF_STOCK, "not enough stock: SHAKE (wanted 5, available 3)"),
        "D": (S.PAYMENT_DECLINED, "card declined"),
        "E": (S.CANCELLED, "deadline exceeded: no progress in PENDING for over 300s"),
        "G": (S.COMPLETED, None),
        "H": (S.COMPLETED, None),
    }
    happy = [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.COMPLETED]
    for order_id in (V1_ORDER, MIXED, NEWEST):
        view = store.orders[order_id]
        assert [h.status for h in view.history] == happy
    assert store.orders[V1_ORDER].total == Decimal("13.25")
    assert store.orders[V1_ORDER].customer_id == "c-42"
    assert store.orders[MIXED].total == Decimal("13.25")
    assert store.orders[NEWEST].total == Decimal("11.00")
    assert store.orders[V1_ORDER].created_at.isoformat() == "2026-03-14T09:26:53.626793+00:00"


async def test_replaying_the_mixed_log_changes_nothing() -> None:
    log = _interleave(ORDER_EVENTS, _mixed_log(), _v2_log(NEWEST))
    store = await _project(log)
    before = dict(store.orders)
    for offset, raw in enumerate(log):
        change = status_change(decode_order_event(raw), offset)
        if change is not None:
            assert not await store.apply(change)
    assert store.orders == before
