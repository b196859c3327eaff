"""Each stage through Faust's agent.test_context(): real agents, fake outbox/store/gateway."""

from decimal import Decimal

import pytest

from orders.domain.events import (
    CommitStock,
    OrderCompleted,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    ReleaseStock,
    ReserveStock,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
    StockSet,
)
from orders.domain.lines import OrderLine
from orders.domain.payment import TOKEN_DECLINE, TOKEN_TIMEOUT
from orders.domain.status import OrderStatus
from tests.unit.stage_helpers import Wired, eventually, placed, put

LINE_A = OrderLine(sku="A", quantity=2, unit_price=Decimal("1.00"))
LINE_B = OrderLine(sku="B", quantity=1, unit_price=Decimal("3.00"))


@pytest.fixture
def wired() -> Wired:
    return Wired()


def validated(order_id: str = "o1", token: str = "tok_ok") -> OrderValidated:
    p = placed(order_id, LINE_A, LINE_B, token=token)
    return OrderValidated(**p.terms())


def reserved(order_id: str = "o1", token: str = "tok_ok") -> StockReserved:
    v = validated(order_id, token)
    return StockReserved(**v.terms())


async def test_validation_accepts_and_rejects(wired: Wired) -> None:
    async with wired.agent("validation").test_context() as agent:
        await put(agent, placed("ok"), "ok")
        too_many = placed("big", OrderLine(sku="A", quantity=101, unit_price=Decimal("1")))
        await put(agent, too_many, "big")
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    first, second = wired.outbox.order_events
    assert isinstance(first, OrderValidated)
    assert first.order_id == "ok"
    assert isinstance(second, OrderRejected)
    assert "quantity of A over limit" in second.reason


async def test_inventory_reserves_refuses_and_is_idempotent(wired: Wired) -> None:
    reserve = ReserveStock(sku="A", order_id="o1", quantity=3)
    async with wired.agent("inventory").test_context() as agent:
        await put(agent, StockSet(sku="A", quantity=4), "A")
        await put(agent, reserve, "A")
        await put(agent, reserve, "A")  # redelivered
        await put(agent, ReserveStock(sku="A", order_id="o2", quantity=2), "A")
        await put(agent, ReserveStock(sku="NOPE", order_id="o3", quantity=1), "NOPE")
        await eventually(lambda: len(wired.outbox.order_events) == 4)
    # one SKU's commands in log order; another SKU's (NOPE) may be answered in between
    replies = sorted(wired.outbox.order_events, key=lambda r: r.order_id)
    assert [type(r) for r in replies] == [
        StockLineReserved, StockLineReserved, StockLineRefused, StockLineRefused
    ]  # fmt: skip
    assert replies[0].event_id == replies[1].event_id
    assert isinstance(replies[2], StockLineRefused)
    assert replies[2].available == 1
    assert isinstance(replies[3], StockLineRefused)
    assert replies[3].unknown_sku


async def test_reservation_all_lines_held_reserves_the_order(wired: Wired) -> None:
    async with wired.agent("reservation").test_context() as agent:
        await put(agent, validated("o1"), "o1")
        await put(agent, validated("o1"), "o1")  # redelivered: no second round of requests
        for sku, qty in (("A", 2), ("B", 1)):
            await put(agent, StockLineReserved(order_id="o1", sku=sku, quantity=qty), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    requests = wired.outbox.stock_events
    assert [(r.sku, r.quantity) for r in requests if isinstance(r, ReserveStock)] == [
        ("A", 2), ("B", 1)
    ]  # fmt: skip
    assert len(requests) == 2
    (decision,) = wired.outbox.order_events
    assert isinstance(decision, StockReserved)


async def test_reservation_short_line_releases_the_held_ones(wired: Wired) -> None:
    async with wired.agent("reservation").test_context() as agent:
        await put(agent, validated("o1"), "o1")
        await put(agent, StockLineReserved(order_id="o1", sku="A", quantity=2), "o1")
        refused = StockLineRefused(order_id="o1", sku="B", quantity=1, available=0)
        await put(agent, refused, "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    (decision,) = wired.outbox.order_events
    assert isinstance(decision, OutOfStock)
    releases = [e for e in wired.outbox.stock_events if isinstance(e, ReleaseStock)]
    assert [(r.sku, r.order_id) for r in releases] == [("A", "o1")]


async def test_payment_captures_declines_and_times_out(wired: Wired) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, reserved("ok"), "ok")
        await put(agent, reserved("no", TOKEN_DECLINE), "no")
        await put(agent, reserved("slow", TOKEN_TIMEOUT), "slow")
        await eventually(lambda: len(wired.outbox.order_events) == 3)
    ok, no, slow = wired.outbox.order_events
    assert isinstance(ok, PaymentCaptured)
    assert ok.amount == Decimal("5.00")
    assert isinstance(no, PaymentDeclined)
    assert no.reason == "card declined"
    assert isinstance(slow, PaymentDeclined)
    assert "timed out (2 attempts)" in slow.reason


async def test_payment_redelivery_charges_once(wired: Wired) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, reserved("o1"), "o1")
        await put(agent, reserved("o1"), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    first, second = wired.outbox.order_events
    assert isinstance(first, PaymentCaptured)
    assert isinstance(second, PaymentCaptured)
    assert first.payment_id == second.payment_id
    assert len(wired.gateway.captures) == 1


async def test_fulfilment_commits_stock_and_completes(wired: Wired) -> None:
    v = validated("o1")
    paid = PaymentCaptured(order_id="o1", payment_id="p", amount=v.total, items=v.items)
    declined = PaymentDeclined(order_id="o2", reason="card declined", items=v.items)
    async with wired.agent("fulfilment").test_context() as agent:
        for event in (paid, declined):
            await put(agent, event, event.order_id)
        await eventually(lambda: len(wired.outbox.stock_events) == 4)
    assert [type(e) for e in wired.outbox.order_events] == [OrderCompleted]
    kinds = [(type(e).__name__, e.order_id, e.sku) for e in wired.outbox.stock_events]  # type: ignore[attr-defined]
    assert kinds == [
        ("CommitStock", "o1", "A"), ("CommitStock", "o1", "B"),
        ("ReleaseStock", "o2", "A"), ("ReleaseStock", "o2", "B"),
    ]  # fmt: skip
    assert all(isinstance(e, CommitStock | ReleaseStock) for e in wired.outbox.stock_events)


async def test_projection_writes_a_legal_monotonic_history(wired: Wired) -> None:
    p = placed("o1")
    v = validated("o1")
    async with wired.agent("projection").test_context() as agent:
        await put(agent, p, "o1")
        await put(agent, v, "o1")
        await put(agent, StockLineReserved(order_id="o1", sku="A", quantity=2), "o1")
        await put(agent, v, "o1")  # a duplicate later in the log changes nothing
        await put(agent, OrderRejected(order_id="o1", reason="unknown SKU: B"), "o1")
        await eventually(
            lambda: "o1" in wired.store.orders and wired.store.orders["o1"].version == 4
        )
    view = await wired.store.get("o1")
    assert view is not None
    assert [h.status for h in view.history] == [
        OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.REJECTED
    ]  # fmt: skip
    assert view.version == 4  # the offset of the event that made the last change
    assert view.reason == "unknown SKU: B"
    assert view.total == p.total


def test_tables_write_their_changelog_as_raw_bytes(wired: Wired) -> None:
    # JSON-encoded changelogs could not be read back on recovery: stock would vanish on restart.
    for table in wired.worker.tables.values():
        assert (table.key_serializer, table.value_serializer) == ("raw", "raw")
