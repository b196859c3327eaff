"""Cancellation through the real agents (payment decides, reservation gives stock back)."""

import asyncio

import pytest

from orders.domain.events import (
    AnyOrderEvent,
    CancellationRefused,
    CancellationRequested,
    OrderCancelled,
    OutOfStock,
    PaymentCaptured,
    ReleaseStock,
    ReserveStock,
    StockLineReserved,
)
from stream_processors.gateway import SimulatedGateway
from tests.unit.stage_helpers import Wired, eventually, put
from tests.unit.test_stages import reserved, validated


@pytest.fixture
def wired() -> Wired:
    return Wired()


def cancel(order_id: str, event_id: str = "cancel-1") -> CancellationRequested:
    return CancellationRequested(event_id=event_id, order_id=order_id, reason="changed my mind")


async def test_a_cancellation_before_payment_wins_and_the_order_is_never_charged(
    wired: Wired,
) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, cancel("o1"), "o1")
        await put(agent, reserved("o1"), "o1")
        await put(agent, reserved("o2"), "o2")  # a later order: proves o1's turn is over
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    cancelled, other = wired.outbox.order_events
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.order_id == "o1"
    assert cancelled.reason == "changed my mind"
    assert isinstance(other, PaymentCaptured)
    assert other.order_id == "o2"
    assert set(wired.gateway.captures) == {"o2"}


async def test_a_cancellation_after_the_capture_is_refused(wired: Wired) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, reserved("o1"), "o1")
        await put(agent, cancel("o1"), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    captured, refused = wired.outbox.order_events
    assert isinstance(captured, PaymentCaptured)
    assert isinstance(refused, CancellationRefused)
    assert refused.reason == "too late to cancel: payment was already captured"


async def test_a_cancellation_after_the_order_ended_is_refused(wired: Wired) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, OutOfStock(order_id="o1", reason="not enough stock"), "o1")
        await put(agent, cancel("o1"), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    (refused,) = wired.outbox.order_events
    assert isinstance(refused, CancellationRefused)
    assert "ended" in refused.reason


async def test_a_redelivered_stock_reserved_repeats_the_outcome_without_charging(
    wired: Wired,
) -> None:
    async with wired.agent("payment").test_context() as agent:
        await put(agent, reserved("o1"), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 1)
        # A new gateway remembers nothing, like one behind a restarted worker.
        forgetful = SimulatedGateway(latency_s=0, timeout_s=0.01)
        wired.worker.deps.gateway = forgetful
        await put(agent, reserved("o1"), "o1")
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    first, again = wired.outbox.order_events
    assert again == first
    assert forgetful.captures == {}


async def test_reservation_gives_back_a_cancelled_orders_stock_and_late_holds(
    wired: Wired,
) -> None:
    cancelled = OrderCancelled(event_id="c-1", order_id="o1", reason="changed my mind")
    async with wired.agent("reservation").test_context() as agent:
        await put(agent, validated("o1"), "o1")
        await put(agent, StockLineReserved(order_id="o1", sku="A", quantity=2), "o1")
        await put(agent, cancelled, "o1")
        await put(agent, StockLineReserved(order_id="o1", sku="B", quantity=1), "o1")  # late
        await eventually(lambda: len(wired.outbox.stock_events) == 5)
    kinds = [(type(e).__name__, e.sku) for e in wired.outbox.stock_events]
    assert kinds == [
        ("ReserveStock", "A"),
        ("ReserveStock", "B"),
        ("ReleaseStock", "A"),
        ("ReleaseStock", "B"),
        ("ReleaseStock", "B"),  # the late hold, given back at once
    ]
    assert wired.outbox.order_events == []  # never StockReserved


async def test_a_saga_cancelled_before_it_starts_never_starts(wired: Wired) -> None:
    cancelled = OrderCancelled(event_id="c-1", order_id="o1", reason="changed my mind")
    async with wired.agent("reservation").test_context() as agent:
        await put(agent, cancelled, "o1")
        await put(agent, validated("o1"), "o1")
        await put(agent, validated("o2"), "o2")  # a later order: proves o1's turn is over
        await eventually(lambda: len(wired.outbox.stock_events) == 2)
    assert all(isinstance(e, ReserveStock) for e in wired.outbox.stock_events)
    assert {e.order_id for e in wired.outbox.stock_events if isinstance(e, ReserveStock)} == {"o2"}
    assert not [e for e in wired.outbox.stock_events if isinstance(e, ReleaseStock)]


async def test_a_request_noted_before_the_charge_starts_beats_a_queued_stock_reserved(
    wired: Wired,
) -> None:
    # The intake notes a request when the order log's reader reads it, which is before the
    # payment stage gets to the order's StockReserved when that is still queued in the
    # order's lane (here behind an OrderValidated whose reservation step is held).
    reservation = wired.worker.pipeline.loops["reservation"]
    held, release = asyncio.Event(), asyncio.Event()

    async def slow_reservation(event: AnyOrderEvent, offset: int) -> None:
        held.set()
        await release.wait()

    reservation.handle = slow_reservation
    async with wired.agent("payment").test_context() as agent:
        await put(agent, validated("o1"), "o1")
        await held.wait()
        await put(agent, reserved("o1"), "o1")  # ahead of the request in the log
        await put(agent, cancel("o1"), "o1")
        await put(agent, reserved("o2"), "o2")
        await eventually(lambda: len(wired.outbox.order_events) == 1)  # o2 is not held up
        release.set()
        await eventually(lambda: len(wired.outbox.order_events) == 3)
    events = wired.outbox.order_events
    cancelled, again = [e for e in events if e.order_id == "o1"]
    assert isinstance(cancelled, OrderCancelled)
    assert again == cancelled  # the request itself repeats the decision
    assert [type(e) for e in events if e.order_id == "o2"] == [PaymentCaptured]
    assert set(wired.gateway.captures) == {"o2"}
