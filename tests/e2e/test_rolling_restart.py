"""A rolling deploy under load is safe (issue 10): each worker in turn gets SIGTERM, exits
within its grace period, starts again and becomes ready before the next one goes.

Orders arrive at a steady rate until the last worker is ready again. Afterwards every
accepted order ends exactly once along a legal path, the stock table adds up, the group's
offsets reach the log ends, and no agent crashed. A failure here is a finding, never retried
(README, Known limits).
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from orderflow.client import OrderflowClient
from orderflow.infra.process import Stopped
from orderflow.stack import LocalStack
from orderflow.stock import read_stock, set_stock
from orders.domain.status import OrderStatus
from tests.e2e.faults import (
    Running,
    agent_crashes,
    expected_on_hand,
    history_problems,
    mixed_plan,
    placing,
    stock_problems,
    wait_caught_up,
)

pytestmark = pytest.mark.timeout(480)
RATE = 20.0  # orders/s: a steady trickle, well below what two workers keep up with
# At most 150 s of orders at RATE; placing stops when the deploy is over (60-100 s here), so
# that every restart, however slow the machine, happens while orders arrive.
ORDERS = 3000
ROUNDS = 3
GRACE_S = 30.0  # what a deploy gives a worker between SIGTERM and SIGKILL
READY_WITHIN_S = 120.0  # a restarted worker holds partitions with its tables recovered
TERMINAL_WITHIN_S = 60.0  # after the last restart and the last order placed


@dataclass(frozen=True)
class Restart:
    round: int
    worker: str
    stopped: Stopped
    ready_s: float  # from its start to `orderflow_worker_ready 1`
    sent_before: int  # orders sent when it got SIGTERM

    def __str__(self) -> str:
        how = "SIGKILL after the grace period" if self.stopped.killed else "exited"
        return (
            f"round {self.round} {self.worker}: {how} {self.stopped.seconds:.1f}s after "
            f"SIGTERM (code {self.stopped.returncode}), ready {self.ready_s:.1f}s after its "
            f"start, {self.sent_before} orders sent before"
        )


async def restart(stack: LocalStack, running: Running, round_: int, worker: str) -> Restart:
    """One step of the deploy: fails at once when the worker did not exit within the grace."""
    sent = running.load.sent
    stopped = await asyncio.to_thread(stack.restart_worker, worker, GRACE_S)
    step = f"round {round_}: {worker}"
    assert not stopped.killed, f"{step} outlived {GRACE_S}s after SIGTERM: SIGKILLed ({stopped})"
    assert stopped.seconds < GRACE_S, f"{step} took {stopped.seconds:.1f}s to exit ({stopped})"
    started = time.monotonic()
    await asyncio.to_thread(stack.wait_worker_ready, worker, READY_WITHIN_S)
    return Restart(round_, worker, stopped, time.monotonic() - started, sent)


async def reread(client: OrderflowClient, order_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Every order as the status API serves it now."""
    limit = asyncio.Semaphore(16)

    async def one(order_id: str) -> tuple[str, dict[str, Any] | None]:
        async with limit:
            return order_id, await client.order(order_id)

    orders = await asyncio.gather(*(one(order_id) for order_id in order_ids))
    missing = [order_id for order_id, order in orders if order is None]
    assert not missing, f"{len(missing)} orders gone from the status table: {missing[:5]}"
    return {order_id: order for order_id, order in orders if order is not None}


async def test_rolling_restart_of_every_worker_under_load(stack: LocalStack) -> None:
    initial, plan = mixed_plan(stack.settings.topic_prefix, ORDERS, seed=10)
    await set_stock(stack.settings, initial)
    workers = sorted(name for name in stack.processes if name.startswith("worker-"))
    assert len(workers) == 2
    async with placing(stack.producer_url, stack.status_url, plan, RATE) as running:
        await running.watch.until(running.load, 20, within=60)  # the pipeline flows
        restarts = [
            await restart(stack, running, round_, worker)
            for round_ in range(1, ROUNDS + 1)
            for worker in workers
        ]
        load = running.load
        assert not running.placing.done(), f"the load ran out before the deploy ended: {restarts}"
        load.stop()
        print("\n".join(map(str, restarts)))  # shown with -rP, and on failure

        final = await running.all_terminal(within=TERMINAL_WITHIN_S)
        print(f"{load.sent} orders sent, {len(load.accepted)} accepted")
        assert not load.refused, f"{len(load.refused)} orders not accepted: {load.refused[:3]}"
        assert len(load.accepted) == load.sent  # distinct order ids, one per order sent
        assert history_problems(final) == []
        statuses = Counter(order["status"] for order in final.values())
        # Nothing asks to cancel: a CANCELLED order was stuck until the deadline job ended it.
        assert OrderStatus.CANCELLED not in statuses, statuses
        assert agent_crashes(stack.log_dir) == []

        await asyncio.to_thread(wait_caught_up, stack.settings, 120)
        stock = await asyncio.to_thread(read_stock, stack.settings)
        assert stock_problems(expected_on_hand(initial, load.accepted, final), stock) == []
        # Exactly one terminal status each: once caught up, nothing moved on from it.
        now = await reread(running.watch.client, list(load.accepted))
        moved = {o: now[o]["status"] for o in now if now[o]["status"] != final[o]["status"]}
        assert moved == {}, moved
        assert history_problems(now) == []
    print(f"statuses: {dict(statuses)}")
