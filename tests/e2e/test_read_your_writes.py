"""Read-your-writes on the real processes: a new order's status URL answers at once, and a
cancel sent right after the 202 is decided (CANCELLED, or 409), never 404."""

import asyncio
import os
import sys
from typing import Any

import aiohttp

from orderflow.client import OrderflowClient, order_body
from orderflow.infra.ports import free_port
from orderflow.infra.process import ChildProcess
from orderflow.stack import REPO_ROOT, LocalStack, http_ok, settings_env
from orderflow.stock import set_stock
from orders.domain.status import TERMINAL, OrderStatus
from tests.e2e.conftest import StackFactory

ORDERS = 200
AT_ONCE = 16
CANCELS = 20


def client_for(stack: LocalStack, session: aiohttp.ClientSession) -> OrderflowClient:
    return OrderflowClient(session, stack.producer_url, stack.status_url)


async def place_then_get(
    session: aiohttp.ClientSession, stack: LocalStack, sku: str
) -> tuple[str, int, dict[str, Any]]:
    order = order_body([(sku, 1, "1.00")])
    async with session.post(f"{stack.producer_url}/orders", json=order) as placed:
        assert placed.status == 202, await placed.text()
        location = placed.headers["Location"]
        order_id = (await placed.json())["order_id"]
    async with session.get(location) as got:  # at once, before any worker may have run
        return order_id, got.status, await got.json()


async def test_the_status_url_answers_at_once_after_the_202(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-RYW"
    await set_stock(stack.settings, {sku: ORDERS})
    gate = asyncio.Semaphore(AT_ONCE)
    async with aiohttp.ClientSession() as session:

        async def one() -> tuple[str, int, dict[str, Any]]:
            async with gate:
                return await place_then_get(session, stack, sku)

        answers = await asyncio.gather(*(one() for _ in range(ORDERS)))

    assert len({order_id for order_id, _, _ in answers}) == ORDERS
    assert [a for a in answers if a[1] != 200] == []
    statuses = {body["status"] for _, _, body in answers}
    assert statuses <= {s.value for s in OrderStatus}, statuses
    assert all(body["history"][0]["status"] == "PENDING" for _, _, body in answers)


async def test_a_cancel_right_after_the_202_is_decided_never_404(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-CAN"
    await set_stock(stack.settings, {sku: CANCELS})
    async with aiohttp.ClientSession() as session:
        client = client_for(stack, session)
        cancels: dict[str, int] = {}
        for _ in range(CANCELS):
            placed = await client.place(order_body([(sku, 1, "1.00")]))
            cancels[placed.order_id], _ = await client.cancel(placed.order_id)  # at once
        finals = {i: await client.wait_terminal(i, within=60) for i in cancels}

    assert len(finals) == CANCELS
    odd = {
        order_id: (cancels[order_id], final["status"])
        for order_id, final in finals.items()
        if (cancels[order_id], final["status"] == "CANCELLED") not in {(202, True), (409, False)}
    }
    assert odd == {}, odd


async def test_a_front_door_whose_redis_is_down_still_accepts(stack: LocalStack) -> None:
    # A second front door on the same Kafka, its Redis pointing at a port where nothing runs.
    port = free_port()
    settings = stack.settings.model_copy(
        update={"producer_port": port, "redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    door = ChildProcess("front-door-no-redis", stack.log_dir / "front-door-no-redis.log")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
    env = {**inherited, **settings_env(settings)}
    door.spawn([sys.executable, "-m", "orderflow.cli", "producer"], REPO_ROOT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(door.wait_ready, lambda: http_ok(f"{url}/readyz"), 60)
        async with aiohttp.ClientSession() as session:
            client = OrderflowClient(session, url, stack.status_url)
            placed = await client.place(order_body([("NOT-ON-THE-MENU", 1, "1.00")]))
            final = await client.wait_terminal(placed.order_id, within=60)  # the projection
            async with session.get(f"{url}/metrics") as metrics:
                counted = await metrics.text()
    finally:
        await asyncio.to_thread(door.stop, 30)

    assert OrderStatus(final["status"]) in TERMINAL
    assert final["history"][0]["status"] == "PENDING"
    assert "orderflow_producer_pending_write_failures_total 1.0" in counted
