"""Workers die or come and go under load: nothing accepted is lost, nothing is done twice.

Each test places orders through the front door while it hurts the workers, waits for every
accepted order to be terminal, then checks each order's history and the final stock table.
"""

import asyncio
from collections import Counter
from typing import Any

import pytest

from orderflow.stack import LocalStack
from orderflow.stock import read_stock, set_stock
from tests.e2e.faults import (
    Planned,
    Running,
    agent_crashes,
    expected_on_hand,
    history_problems,
    mixed_plan,
    placing,
    stock_problems,
    wait_caught_up,
    wait_group_members,
)

pytestmark = pytest.mark.timeout(480)
RATE = 60.0  # orders/s: about what two workers keep up with here, so stages run close


async def check_outcome(
    stack: LocalStack, running: Running, initial: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """Every accepted order ends once along a legal path, and the stock table adds up."""
    final = await running.all_terminal(within=180)
    assert agent_crashes(stack.log_dir) == []
    load = running.load
    assert not load.refused, f"{len(load.refused)} orders not accepted: {load.refused[:3]}"
    assert len(load.accepted) == len(load.plan)
    assert history_problems(final) == []

    await asyncio.to_thread(wait_caught_up, stack.settings, 120)
    stock = await asyncio.to_thread(read_stock, stack.settings)
    assert stock_problems(expected_on_hand(initial, load.accepted, final), stock) == []
    return final


async def test_sigkill_a_worker_under_load_then_restart_it(stack: LocalStack) -> None:
    initial, plan = mixed_plan(stack.settings.topic_prefix, 1000, seed=1)
    await set_stock(stack.settings, initial)
    async with placing(stack.producer_url, stack.status_url, plan, RATE) as running:
        await running.watch.until(running.load, 250, within=120)
        await asyncio.to_thread(stack.processes["worker-1"].kill)
        # The survivor takes the dead worker's partitions after the session timeout.
        await running.watch.until(running.load, 600, within=120)
        stack.start_process("worker-1")

        final = await check_outcome(stack, running, initial)
    statuses = Counter(order["status"] for order in final.values())
    assert statuses["COMPLETED"] > 500, statuses  # the mix mostly completes


async def test_sigterm_a_worker_under_load_then_start_it_again(stack: LocalStack) -> None:
    initial, plan = mixed_plan(stack.settings.topic_prefix, 600, seed=4)
    await set_stock(stack.settings, initial)
    async with placing(stack.producer_url, stack.status_url, plan, RATE) as running:
        await running.watch.until(running.load, 150, within=120)
        await asyncio.to_thread(stack.processes["worker-1"].stop, 30)
        await running.watch.until(running.load, 350, within=120)
        stack.start_process("worker-1")

        await check_outcome(stack, running, initial)


async def test_no_oversell_across_rebalances(stack: LocalStack) -> None:
    sku = f"{stack.settings.topic_prefix}-HOT"
    await set_stock(stack.settings, {sku: 100})
    plan = [Planned([(sku, 1, "1.00")], "tok_visa") for _ in range(500)]
    # Slowly enough that the 100 units are still being sold while the partitions move.
    async with placing(stack.producer_url, stack.status_url, plan, per_second=15) as running:
        await running.watch.until(running.load, 10, within=120)
        stack.start_process("worker-3")  # joins: a rebalance
        await asyncio.to_thread(wait_group_members, stack.settings, 3)
        await asyncio.to_thread(stack.processes["worker-2"].stop, 30)  # leaves: another

        final = await check_outcome(stack, running, {sku: 100})
    statuses = Counter(order["status"] for order in final.values())
    assert statuses == {"COMPLETED": 100, "OUT_OF_STOCK": 400}, statuses
