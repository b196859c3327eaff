"""The pickup board in a real browser (headless Chromium from Debian, driven by Playwright):
orders placed while it is open move from "Preparing" to "Ready" without a reload, failed ones
are listed apart with their reason. Leaves a screenshot in .cache/artefacts/board.png."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from playwright.async_api import Page
from ulid import ULID

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.domain.status import OrderStatus
from orders.status_store import StatusChange
from orders.status_store.redis import RedisStatusStore
from tests.e2e.browser import ARTEFACTS, browser_page
from tests.e2e.conftest import StackFactory

# Every order id each list of the board showed, in the order it showed them.
RECORD_MOVES = """
window.__moves = [];
document.addEventListener("DOMContentLoaded", () => {
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.dataset) window.__moves.push([node.dataset.orderId, record.target.id]);
      }
    }
  });
  for (const id of ["preparing", "ready", "failed"]) {
    observer.observe(document.getElementById(id), { childList: true });
  }
});
"""


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with browser_page(1280, 720, timeout_ms=60_000) as page:
        await page.add_init_script(RECORD_MOVES)
        yield page


async def feed_connected(http: aiohttp.ClientSession, stack: LocalStack) -> None:
    async with asyncio.timeout(60):
        while True:
            async with http.get(f"{stack.status_url}/stats") as response:
                if (await response.json())["change_feed"]["connected"]:
                    return
            await asyncio.sleep(0.1)


async def still_preparing(stack: LocalStack, count: int) -> list[str]:
    """Orders the workers never see, written as the projection writes (PENDING, VALIDATED):
    they stay in "Preparing", so the screenshot shows both columns."""
    store = RedisStatusStore.from_url(stack.settings.redis_url, stack.settings.redis_namespace)
    ids = [str(ULID()) for _ in range(count)]
    try:
        for order_id in ids:
            for version, status in enumerate([OrderStatus.PENDING, OrderStatus.VALIDATED]):
                change = StatusChange(
                    order_id=order_id, status=status, version=version, at=datetime.now(UTC)
                )
                assert await store.apply(change)
    finally:
        await store.close()
    return ids


async def test_orders_move_from_preparing_to_ready_live(
    stack_factory: StackFactory, page: Page
) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-B"
    await set_stock(stack.settings, {sku: 100})
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as http:
        await page.goto(f"{stack.status_url}/board")
        await page.wait_for_selector("#connection.online")
        await feed_connected(http, stack)  # subscribed for the board's stream

        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        good = [(await client.place(order_body([(sku, 1, "4.50")]))).order_id for _ in range(4)]
        declined = (
            await client.place(order_body([(sku, 1, "4.50")], token="tok_decline"))
        ).order_id
        for order_id in good:
            await page.wait_for_selector(f'#ready li[data-order-id="{order_id}"]')
        failed = page.locator(f'#failed li[data-order-id="{declined}"]')
        await failed.wait_for()
        assert "card declined" in await failed.inner_text()
        waiting = await still_preparing(stack, 3)
        for order_id in waiting:
            await page.wait_for_selector(f'#preparing li[data-order-id="{order_id}"]')

    moves: list[list[str]] = await page.evaluate("window.__moves")
    for order_id in good:
        lists = [where for shown, where in moves if shown == order_id]
        assert lists[0] == "preparing", (order_id, lists)  # seen while being prepared...
        assert lists[-1] == "ready", (order_id, lists)  # ...then ready, on the same page
        assert await page.inner_text(f'#ready li[data-order-id="{order_id}"]') == order_id[-5:]
    assert navigations == [f"{stack.status_url}/board"]  # no reload
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / "board.png"))
