"""Cancellation and deadlines over HTTP, on the real processes.

One worker and a slow payment gateway make a queue in front of the payment stage: an order
behind a slow charge stays RESERVED, uncharged, long enough to be cancelled for sure.
"""

import aiohttp

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.domain.status import OrderStatus
from tests.e2e.conftest import StackFactory

S = OrderStatus
SLOW_PAYMENT = {"payment_latency_ms": 2500, "payment_timeout_s": 10.0}


def client_for(stack: LocalStack, session: aiohttp.ClientSession) -> OrderflowClient:
    return OrderflowClient(session, stack.producer_url, stack.status_url)


async def test_cancel_a_reserved_order_gives_its_stock_back(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1, **SLOW_PAYMENT)
    sku = f"{stack.settings.topic_prefix}-CAN"
    await set_stock(stack.settings, {sku: 3})
    async with aiohttp.ClientSession() as session:
        client = client_for(stack, session)
        first = await client.place(order_body([(sku, 1, "1.00")]))  # its charge takes 2.5 s
        await client.wait_status(first.order_id, {S.RESERVED})
        second = await client.place(order_body([(sku, 2, "1.00")]))  # queued behind it
        assert (await client.wait_status(second.order_id, {S.RESERVED}))["status"] == "RESERVED"

        status, answer = await client.cancel(second.order_id, "found it cheaper")

        assert status == 202, answer
        assert answer["cancellation"] == "requested"
        cancelled = await client.wait_terminal(second.order_id, within=60)
        assert cancelled["status"] == "CANCELLED", cancelled
        assert cancelled["reason"] == "found it cheaper"
        assert [h["status"] for h in cancelled["history"]] == [
            "PENDING", "VALIDATED", "RESERVED", "CANCELLED",
        ]  # fmt: skip
        assert (await client.wait_terminal(first.order_id, within=60))["status"] == "COMPLETED"

        # Too late now: 409 with the current status. Unknown order: 404.
        status, answer = await client.cancel(first.order_id)
        assert status == 409
        assert answer["status"] == "COMPLETED"
        status, _ = await client.cancel("01JD3Q7ZK5V9W8X2Y4N6M0P1RT")
        assert status == 404

        # The 2 units held by the cancelled order are on the shelf again: 3 - 1 sold.
        last = await client.place(order_body([(sku, 2, "1.00")]))
        assert (await client.wait_terminal(last.order_id, within=60))["status"] == "COMPLETED"


async def test_the_deadline_job_cancels_an_order_stuck_before_payment(
    stack_factory: StackFactory,
) -> None:
    # The first order's charge must start within the deadline (it does at once, unless the
    # machine is very busy); the second waits for the whole slow charge, well past it.
    stack = stack_factory(
        workers=1,
        order_deadline_s=3.0,
        deadline_check_interval_s=0.25,
        payment_latency_ms=7000,
        payment_timeout_s=20.0,
    )
    sku = f"{stack.settings.topic_prefix}-LATE"
    await set_stock(stack.settings, {sku: 2})
    async with aiohttp.ClientSession() as session:
        client = client_for(stack, session)
        charging = await client.place(order_body([(sku, 1, "1.00")]))
        await client.wait_status(charging.order_id, {S.RESERVED})
        stuck = await client.place(order_body([(sku, 1, "1.00")]))  # waits ~7 s for payment

        stuck_final = await client.wait_terminal(stuck.order_id, within=60)
        charged_final = await client.wait_terminal(charging.order_id, within=60)

        assert stuck_final["status"] == "CANCELLED", stuck_final
        assert stuck_final["reason"].startswith("deadline exceeded: no progress in RESERVED")
        # The order whose charge had started was paid: its cancellation was refused.
        assert charged_final["status"] == "COMPLETED", charged_final
        # The cancelled order's unit came back (else: OUT_OF_STOCK). Its charge starts at
        # once, so the deadline's request comes too late and is refused.
        again = await client.place(order_body([(sku, 1, "1.00")]))
        assert (await client.wait_terminal(again.order_id, within=60))["status"] == "COMPLETED"
