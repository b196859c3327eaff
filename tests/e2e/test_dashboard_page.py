"""The dashboard in a real browser (headless Chromium from Debian, driven by Playwright):
the lag table and the sparklines render and follow the pipeline without a reload. Leaves a
screenshot in .cache/artefacts/dashboard.png (docs/dashboard.png is one)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

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
from tests.e2e.dashboard_helpers import caught_up, start_workers, stop_workers, until

pytestmark = pytest.mark.timeout(600)

LAGGING_ROW = "#lag tbody td.lagging"


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with browser_page(1400, 1000, timeout_ms=120_000) as page:
        yield page


async def overdue_paid_orders(stack: LocalStack, count: int) -> None:
    """Orders stuck in PAID since long before the deadline, written as the projection writes
    them (the deadline job leaves paid orders alone, so they stay overdue)."""
    store = RedisStatusStore.from_url(stack.settings.redis_url, stack.settings.redis_namespace)
    since = datetime.now(UTC) - timedelta(seconds=stack.settings.order_deadline_s + 95)
    path = [OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.RESERVED, OrderStatus.PAID]
    try:
        for _ in range(count):
            order_id = str(ULID())
            for version, status in enumerate(path):
                change = StatusChange(order_id=order_id, status=status, version=version, at=since)
                assert await store.apply(change)
    finally:
        await store.close()


async def test_dashboard_follows_lag_and_throughput_live(
    stack_factory: StackFactory, page: Page
) -> None:
    stack = stack_factory(workers=2)
    sku = f"{stack.settings.topic_prefix}-PAGE"
    await set_stock(stack.settings, {sku: 1000})
    await overdue_paid_orders(stack, 2)
    good, declined = order_body([(sku, 1, "3.00")]), order_body([(sku, 1, "3.00")], "tok_decline")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        await page.goto(f"{stack.status_url}/dashboard")
        first = [(await client.place(good if n % 4 else declined)).order_id for n in range(8)]
        for order_id in first:
            await client.wait_terminal(order_id, within=120, interval=0.1)
        await until(http, stack, lambda b: caught_up(b, 2), 120, "the group caught up")

        names = await stop_workers(stack)
        waiting = [(await client.place(good)).order_id for _ in range(10)]
        await page.wait_for_selector(LAGGING_ROW)  # the page shows the lag, without a reload
        # The sampler may have read the offsets while the orders were being placed: the page
        # catches up at its next poll.
        await page.wait_for_function(
            f"Number(document.getElementById('lag-total').textContent) >= {len(waiting)}"
        )
        await start_workers(stack, names)
        # Lag, not the orders' statuses: what this page shows (test_dashboard.py checks both).
        await until(http, stack, lambda b: caught_up(b, 2), 180, "zero lag again")

    await page.wait_for_function(
        "document.getElementById('lag-total').textContent === '0'"
        " && document.querySelectorAll('#workers li').length === 2"
    )
    assert await page.locator(LAGGING_ROW).count() == 0
    assert await page.locator("#lag tbody tr").count() == 12  # 6 order-event + 6 stock partitions
    assert await page.locator("#lag-spark svg path.line").count() == 1  # the lag's trend drawn
    assert await page.locator("#stages tr[data-stage='validation'] svg path.line").count() == 1
    assert await page.inner_text("#overdue-count") == "2"
    assert "orderflow-worker-1" in await page.inner_text("#workers")
    assert await page.locator("#brokers li").count() == 1
    assert await page.inner_text("#under-replicated") == "0"
    assert navigations == [f"{stack.status_url}/dashboard"]  # no reload
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / "dashboard.png"), full_page=True)
