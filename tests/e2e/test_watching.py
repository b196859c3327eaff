"""Watching orders on the real processes: long-polls woken by the change feed, 500 waiting
clients on one status API, event streams that deliver and resume, and list pages."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
from redis.asyncio import Redis

from orderflow.client import OrderflowClient, order_body
from orderflow.sse_client import events
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.domain.status import OrderStatus
from orders.status_store import StatusChange
from orders.status_store.redis import RedisStatusStore
from tests.e2e.conftest import StackFactory

S = OrderStatus
HAPPY = ["PENDING", "VALIDATED", "RESERVED", "PAID", "COMPLETED"]
# An order the workers never see: the test writes its changes with the projection's own Lua.
SYNTHETIC = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"


@asynccontextmanager
async def session(limit: int = 100) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=limit)
    timeout = aiohttp.ClientTimeout(total=90)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as s:
        yield s


async def write(stack: LocalStack, status: OrderStatus, version: int) -> None:
    store = RedisStatusStore.from_url(stack.settings.redis_url, stack.settings.redis_namespace)
    try:
        change = StatusChange(
            order_id=SYNTHETIC, status=status, version=version, at=datetime.now(UTC)
        )
        assert await store.apply(change)
    finally:
        await store.close()


async def feed_stats(http: aiohttp.ClientSession, stack: LocalStack) -> dict[str, Any]:
    async with http.get(f"{stack.status_url}/stats") as response:
        body: dict[str, Any] = await response.json()
        return body["change_feed"]


async def until_feed(
    http: aiohttp.ClientSession, stack: LocalStack, ok: Callable[[dict[str, Any]], bool]
) -> None:
    """Until the status API's change feed (GET /stats) is as `ok` wants, within 60 s."""
    deadline = time.monotonic() + 60
    while not ok(await feed_stats(http, stack)):
        assert time.monotonic() < deadline, await feed_stats(http, stack)
        await asyncio.sleep(0.1)


async def until_waiting(http: aiohttp.ClientSession, stack: LocalStack, count: int) -> None:
    await until_feed(http, stack, lambda feed: feed["waiting"] >= count)


async def test_long_poll_wakes_at_once_and_follows_an_order(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1)
    url = f"{stack.status_url}/orders/{SYNTHETIC}"
    async with session() as http:
        # Not there yet: the poll waits for the order to appear. Its wait makes the process
        # subscribe to the change feed (it does not while nobody listens).
        assert not (await feed_stats(http, stack))["connected"]
        appear = asyncio.create_task(http.get(f"{url}?wait=30"))
        await until_feed(http, stack, lambda feed: feed["connected"] and feed["waiting"] >= 1)
        await write(stack, S.PENDING, 1)
        written = time.monotonic()
        async with await appear as response:
            assert response.status == 200
            assert response.headers["ETag"] == '"1"'
        assert time.monotonic() - written < 1.0

        poll = asyncio.create_task(http.get(f"{url}?wait=30", headers={"If-None-Match": '"1"'}))
        await until_waiting(http, stack, 1)
        await write(stack, S.VALIDATED, 2)
        written = time.monotonic()
        async with await poll as response:
            assert response.status == 200
            assert (await response.json())["status"] == "VALIDATED"
        assert time.monotonic() - written < 1.0

        async with http.get(f"{url}?wait=0.5&since_version=2") as response:
            assert response.status == 304

        # A real order, followed by long-polls from its first status to its last.
        sku = f"{stack.settings.topic_prefix}-W"
        await set_stock(stack.settings, {sku: 10})
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        placed = await client.place(order_body([(sku, 1, "2.00")]))
        seen: list[str] = []
        etag = None
        while not seen or seen[-1] not in ("COMPLETED", "REJECTED", "OUT_OF_STOCK"):
            headers = {"If-None-Match": etag} if etag else {}
            async with http.get(f"{placed.status_url}?wait=30", headers=headers) as response:
                assert response.status == 200, await response.text()
                etag = response.headers["ETag"]
                status = (await response.json())["status"]
            seen.append(status)
        assert seen[-1] == "COMPLETED"
        assert set(seen) <= set(HAPPY)  # polls may skip changes, never invent or reorder them
        assert seen == sorted(seen, key=HAPPY.index)


async def test_500_waiting_clients_on_one_status_api(
    stack_factory: StackFactory, redis_url: str
) -> None:
    stack = stack_factory(workers=1)
    url = f"{stack.status_url}/orders/{SYNTHETIC}"
    await write(stack, S.PENDING, 1)
    redis: Redis = Redis.from_url(redis_url)
    async with session(limit=600) as http:

        async def poll() -> tuple[int, str]:
            async with http.get(f"{url}?wait=45&since_version=1") as response:
                if response.status != 200:
                    return response.status, await response.text()
                return response.status, (await response.json())["status"]

        polls = [asyncio.create_task(poll()) for _ in range(500)]
        await until_waiting(http, stack, 500)
        before = int((await redis.info("stats"))["total_commands_processed"])
        await asyncio.sleep(1.0)  # 500 clients wait a second: Redis should hardly notice
        idle = int((await redis.info("stats"))["total_commands_processed"]) - before
        await write(stack, S.VALIDATED, 2)

        async with asyncio.timeout(60):
            answers = await asyncio.gather(*polls)
    await redis.aclose()

    assert answers == [(200, "VALIDATED")] * 500
    assert idle < 100, f"{idle} Redis commands while 500 clients waited for a second"


async def test_event_stream_delivers_every_change_and_resumes(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-E"
    await set_stock(stack.settings, {sku: 10})
    customer = f"{stack.settings.topic_prefix}-cust"
    async with session() as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        placed = await client.place(order_body([(sku, 1, "2.00")], customer=customer))
        # Subscribed at once: the stream waits for the order to appear, then follows it.
        async with http.get(f"{placed.status_url}/events") as response:
            assert response.status == 200
            streamed = [(e.event_id, e.data["status"]) async for e in events(response)]
        assert [status for _, status in streamed] == HAPPY
        versions = [int(v or -1) for v, _ in streamed]
        assert versions == sorted(versions)
        assert len(set(versions)) == 5

        resume = {"Last-Event-ID": streamed[1][0] or ""}
        async with http.get(f"{placed.status_url}/events", headers=resume) as response:
            resumed = [(e.event_id, e.data["status"]) async for e in events(response)]
        assert resumed == streamed[2:]

        # List pages: the customer's orders, newest first, two at a time.
        more = [
            await client.place(order_body([(sku, 1, "2.00")], customer=customer)) for _ in range(4)
        ]
        for order in more:
            await client.wait_terminal(order.order_id, within=60)
        listed: list[str] = []
        cursor = ""
        for _ in range(5):
            query = f"customer_id={customer}&limit=2" + (f"&cursor={cursor}" if cursor else "")
            async with http.get(f"{stack.status_url}/orders?{query}") as response:
                page = await response.json()
            listed += [o["order_id"] for o in page["orders"]]
            if not (cursor := page["next_cursor"]):
                break
        assert listed == [o.order_id for o in reversed([placed, *more])]
        async with http.get(f"{stack.status_url}/stats") as response:
            assert (await response.json())["orders_by_status"]["COMPLETED"] >= 5
