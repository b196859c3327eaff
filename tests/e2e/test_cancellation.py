"""Cancellation and deadlines over HTTP, on the real processes.

Payments run at once for every order (each order in its own lane), so a cancellation wins
only until its order's charge starts. The tests make each case certain: an order whose
charge is under way (a slow gateway), an order placed and cancelled while the worker is
paused (the request is on the log before the worker reads the order), and an order whose
charge was dead-lettered (the gateway malfunctions) left for the deadline job.
"""

import asyncio
import os
import signal

import aiohttp

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import read_stock, set_stock
from orders.domain.status import OrderStatus
from tests.e2e.conftest import StackFactory

S = OrderStatus
SLOW_PAYMENT = {"payment_latency_ms": 2500, "payment_timeout_s": 10.0}


def client_for(stack: LocalStack, session: aiohttp.ClientSession) -> OrderflowClient:
    return OrderflowClient(session, stack.producer_url, stack.status_url)


async def settled_stock(
    stack: LocalStack, sku: str, within: float = 60.0
) -> tuple[int, dict[str, int]]:
    """(on hand, held) once nothing is held: the release follows the CANCELLED status."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        stock = (await asyncio.to_thread(read_stock, stack.settings))[sku]
        if not stock.held or asyncio.get_running_loop().time() > deadline:
            return stock.on_hand, dict(stock.held)
        await asyncio.sleep(0.2)


async def test_cancel_before_the_charge_wins_and_after_it_is_refused(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1, **SLOW_PAYMENT)
    sku = f"{stack.settings.topic_prefix}-CAN"
    await set_stock(stack.settings, {sku: 3})
    worker = stack.pids()["worker-1"]
    async with aiohttp.ClientSession() as session:
        client = client_for(stack, session)
        charging = await client.place(order_body([(sku, 1, "1.00")]))  # its charge takes 2.5 s
        await client.wait_status(charging.order_id, {S.RESERVED})
        status, answer = await client.cancel(charging.order_id, "too slow")
        assert status == 202, answer  # accepted as a request: the payment stage decides

        os.kill(worker, signal.SIGSTOP)  # a moment, far below the session timeout
        try:
            early = await client.place(order_body([(sku, 2, "1.00")]))
            status, answer = await client.cancel(early.order_id, "found it cheaper")
        finally:
            os.kill(worker, signal.SIGCONT)
        assert status == 202, answer
        assert answer["cancellation"] == "requested"

        cancelled = await client.wait_terminal(early.order_id, within=60)
        assert cancelled["status"] == "CANCELLED", cancelled
        assert cancelled["reason"] == "found it cheaper"
        assert "PAID" not in [h["status"] for h in cancelled["history"]]
        charged = await client.wait_terminal(charging.order_id, within=60)
        assert charged["status"] == "COMPLETED", charged  # the charge had started: refused

        # Too late now: 409 with the current status. Unknown order: 404.
        status, answer = await client.cancel(charging.order_id)
        assert status == 409
        assert answer["status"] == "COMPLETED"
        status, _ = await client.cancel("01JD3Q7ZK5V9W8X2Y4N6M0P1RT")
        assert status == 404

        # Nothing stays held for the cancelled order: 3 - 1 sold, the 2 on the shelf again.
        last = await client.place(order_body([(sku, 2, "1.00")]))
        assert (await client.wait_terminal(last.order_id, within=60))["status"] == "COMPLETED"
    assert await settled_stock(stack, sku) == (0, {})


async def test_the_deadline_job_cancels_an_order_stuck_before_payment(
    stack_factory: StackFactory,
) -> None:
    # The gateway malfunctions: the charge is dead-lettered and the order stays RESERVED,
    # uncharged, its stock held. The deadline job asks to cancel it; nothing was charged, so
    # the cancellation wins and the stock comes back.
    stack = stack_factory(
        workers=1,
        order_deadline_s=3.0,
        deadline_check_interval_s=0.25,
        fault_injection_gateway_malfunction=True,
    )
    sku = f"{stack.settings.topic_prefix}-LATE"
    await set_stock(stack.settings, {sku: 2})
    async with aiohttp.ClientSession() as session:
        client = client_for(stack, session)
        stuck = await client.place(order_body([(sku, 1, "1.00")]))
        final = await client.wait_terminal(stuck.order_id, within=60)
    assert final["status"] == "CANCELLED", final
    assert final["reason"].startswith("deadline exceeded: no progress in RESERVED")
    assert await settled_stock(stack, sku) == (2, {})
