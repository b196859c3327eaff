"""Worker state survives restarts: tables come back from their changelog topics."""

import aiohttp

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock


async def place_and_wait(stack: LocalStack, sku: str, quantity: int) -> dict[str, object]:
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        placed = await client.place(order_body([(sku, quantity, "1.00")]))
        return await client.wait_terminal(placed.order_id, within=90, interval=0.05)


async def test_stock_survives_restarting_every_worker(stack: LocalStack) -> None:
    sku = f"{stack.settings.topic_prefix}-KEPT"
    await set_stock(stack.settings, {sku: 5})
    assert (await place_and_wait(stack, sku, 1))["status"] == "COMPLETED"

    stack.restart_workers()

    after = await place_and_wait(stack, sku, 4)
    assert after["status"] == "COMPLETED", after  # the SKU and its 4 units were recovered
    last = await place_and_wait(stack, sku, 1)
    assert last["status"] == "OUT_OF_STOCK", last
    assert "available 0" in str(last["reason"])
