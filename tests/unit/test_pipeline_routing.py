"""The order log's one reader: which stages act on which event, and records in lanes."""

import asyncio
import typing

from orders.domain.events import (
    AnyOrderEvent,
    CancellationRefused,
    OrderCompleted,
    OrderValidated,
    PaymentCaptured,
    PaymentDeclined,
)
from orders.domain.payment import TOKEN_TIMEOUT
from orders.domain.status import OrderStatus
from stream_processors.lanes import Lanes
from stream_processors.pipeline import ROUTES, stages_for
from tests.unit.stage_helpers import Wired, eventually, placed, put
from tests.unit.test_stages import reserved

PROJECTED_ONLY = {OrderCompleted, CancellationRefused}  # no stage acts on them


def test_every_order_event_is_routed_or_only_projected() -> None:
    union = typing.get_args(typing.get_args(AnyOrderEvent)[0])
    assert set(ROUTES) | PROJECTED_ONLY == set(union)
    assert not set(ROUTES) & PROJECTED_ONLY


def test_each_event_goes_to_the_stages_that_decide_on_it() -> None:
    assert stages_for(placed("o1")) == ("validation",)
    assert stages_for(OrderValidated(**placed("o1").terms())) == ("reservation",)
    assert stages_for(OrderCompleted(order_id="o1")) == ()


def test_the_stages_routed_to_are_the_stages_the_worker_runs() -> None:
    names = {stage for stages in ROUTES.values() for stage in stages}
    assert names <= set(Wired().worker.pipeline.loops)


async def test_one_record_is_decoded_once_and_every_stage_and_the_projection_see_it() -> None:
    wired = Wired()
    async with wired.agent("validation").test_context() as agent:
        await put(agent, placed("o1"), "o1")
        await eventually(lambda: "o1" in wired.store.orders and bool(wired.outbox.order_events))
    assert wired.store.orders["o1"].status == OrderStatus.PENDING
    (validated,) = wired.outbox.order_events
    assert isinstance(validated, OrderValidated)


async def test_a_poison_record_between_good_ones_is_dead_lettered_and_the_rest_take_effect_once(
) -> None:  # fmt: skip
    wired = Wired()
    first = placed("a")
    async with wired.agent("validation").test_context() as agent:
        await put(agent, first, "a")
        await agent.put(b"{not json", key=b"x")
        await put(agent, placed("b"), "b")
        await put(agent, first, "a")  # redelivered
        await eventually(
            lambda: len(wired.dead_letters.letters) == 1 and {"a", "b"} <= set(wired.store.orders)
        )
        await eventually(lambda: len(wired.outbox.order_events) == 3)
    (letter,) = wired.dead_letters.letters
    assert (letter.key, letter.failure.stage) == (b"x", "dispatch")
    assert {e.order_id for e in wired.outbox.order_events} == {"a", "b"}
    assert len({e.event_id for e in wired.outbox.order_events}) == 2  # one decision per order
    assert [h.status for h in wired.store.orders["a"].history] == [OrderStatus.PENDING]


async def test_lanes_keep_one_keys_work_in_order_and_let_other_keys_pass() -> None:
    lanes = Lanes()
    done: list[str] = []
    release = asyncio.Event()

    def work(name: str, gate: asyncio.Event | None = None) -> typing.Any:
        async def run() -> None:
            if gate is not None:
                await gate.wait()
            done.append(name)

        return run

    lanes.submit("o1", work("o1-first", release))
    lanes.submit("o1", work("o1-second"))
    other = lanes.submit("o2", work("o2"))
    await other
    assert done == ["o2"]  # not held up by o1's slow first piece
    release.set()
    await eventually(lambda: len(lanes) == 0)
    assert done == ["o2", "o1-first", "o1-second"]


async def test_a_failed_or_cancelled_piece_does_not_stop_its_lane() -> None:
    lanes = Lanes()
    done: list[str] = []

    async def boom() -> None:
        raise RuntimeError("bug")

    async def after() -> None:
        done.append("after")

    failed = lanes.submit("k", boom)
    await lanes.submit("k", after)
    assert isinstance(failed.exception(), RuntimeError)
    assert done == ["after"]


async def test_a_gateway_timing_out_on_one_order_does_not_hold_up_the_next_in_the_partition(
) -> None:  # fmt: skip
    wired = Wired()
    wired.gateway.timeout_s = 0.3  # each of the two attempts waits this long
    slow, fast = reserved("slow", TOKEN_TIMEOUT), reserved("fast")
    async with wired.agent("payment").test_context() as agent:
        await put(agent, slow, "slow")  # same partition in a test agent: one after another
        await put(agent, fast, "fast")
        await eventually(lambda: any(e.order_id == "fast" for e in wired.outbox.order_events))
        assert not any(e.order_id == "slow" for e in wired.outbox.order_events)
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    outcomes = {e.order_id: type(e) for e in wired.outbox.order_events}
    assert outcomes == {"fast": PaymentCaptured, "slow": PaymentDeclined}
