"""The change feed across a real Redis restart: while Redis is down the status API answers
503 (never 500); once it is back, the one subscriber is connected again (GET /stats), and a
change made after the restart wakes a new long-poll and reaches a new event stream. The stack
starts its own Redis, so stopping it hurts no other test."""

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from orderflow.client import OrderflowClient, order_body
from orderflow.infra.redis import LocalRedis
from orderflow.sse_client import events
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from tests.e2e.conftest import StackFactory

pytestmark = pytest.mark.timeout(300)
HAPPY = ["PENDING", "VALIDATED", "RESERVED", "PAID", "COMPLETED"]


async def feed_connected(http: aiohttp.ClientSession, stack: LocalStack) -> bool | None:
    """`change_feed.connected` of GET /stats; None while the status API answers 503."""
    async with http.get(f"{stack.status_url}/stats") as response:
        body: dict[str, Any] = await response.json()
        if response.status == 503:
            return None
        assert response.status == 200, body
        connected: bool = body["change_feed"]["connected"]
        return connected


async def until_connected(http: aiohttp.ClientSession, stack: LocalStack, within: float) -> None:
    deadline = time.monotonic() + within
    while not await feed_connected(http, stack):
        assert time.monotonic() < deadline, "the change feed did not reconnect"
        await asyncio.sleep(0.1)


async def answers_while_down(
    http: aiohttp.ClientSession, stack: LocalStack, order_id: str
) -> set[int]:
    """The statuses of the status API's Redis-backed routes (Redis is down)."""
    paths = [
        f"/orders/{order_id}",
        f"/orders/{order_id}?wait=0.2",
        f"/orders/{order_id}/events",
        "/orders",
        "/stats",
    ]
    seen = set()
    for path in paths:
        async with http.get(f"{stack.status_url}{path}") as response:
            body = await response.json()  # JSON, even when it fails
            assert response.status == 503, (path, response.status, body)
            assert response.headers.get("Retry-After") == "1", path
            seen.add(response.status)
    resume = {"Last-Event-ID": "1-0"}  # resuming needs the change log: 503 too
    async with http.get(f"{stack.status_url}/events", headers=resume) as response:
        seen.add(response.status)
    return seen


async def follow_order(http: aiohttp.ClientSession, status_url: str) -> list[str]:
    """Long-polls an order from its first status to COMPLETED (each poll waits up to 30 s)."""
    seen: list[str] = []
    etag = None
    async with asyncio.timeout(120):
        while not seen or seen[-1] != "COMPLETED":
            headers: dict[str, str] = {"If-None-Match": etag} if etag else {}
            async with http.get(f"{status_url}?wait=30", headers=headers) as response:
                assert response.status in (200, 304), await response.text()
                etag = response.headers["ETag"]
                if response.status == 200:
                    seen.append((await response.json())["status"])
    return seen


async def test_the_change_feed_comes_back_after_a_redis_restart(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1, redis_url=None)  # its own Redis
    redis: LocalRedis | None = stack.redis
    assert redis is not None
    sku = f"{stack.settings.topic_prefix}-F"
    await set_stock(stack.settings, {sku: 100})
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=240)) as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        before = await client.place(order_body([(sku, 1, "2.00")]))
        done = await client.wait_terminal(before.order_id, within=90)
        version = done["version"]

        # Connected through the restart: a long-poll that waits, and an all-orders stream
        # (they make the process subscribe: it does not while nobody listens).
        old_poll = asyncio.create_task(
            http.get(f"{before.status_url}?wait=20", headers={"If-None-Match": f'"{version}"'})
        )
        old_stream = await http.get(f"{stack.status_url}/events")
        assert old_stream.status == 200
        await until_connected(http, stack, within=60)

        await asyncio.to_thread(redis.stop)
        try:
            assert await answers_while_down(http, stack, before.order_id) == {503}
        finally:
            await asyncio.to_thread(redis.start)

        await until_connected(http, stack, within=60)
        async with asyncio.timeout(30):  # the old stream was cut off: its client resumes
            assert [e async for e in events(old_stream) if e.kind == "status"] == []
        async with await old_poll as response:  # read again after the resync: no news
            assert response.status == 304, await response.text()

        # A change after the restart reaches new waiters.
        async with http.get(f"{stack.status_url}/events") as stream:
            after = await client.place(order_body([(sku, 1, "2.00")]))
            polled = await follow_order(http, after.status_url)
            streamed: list[str] = []
            async with asyncio.timeout(60):
                async for event in events(stream):
                    if event.data["order_id"] == after.order_id:
                        streamed.append(event.data["status"])
                    if streamed[-1:] == ["COMPLETED"]:
                        break

    assert polled[-1] == "COMPLETED"
    assert set(polled) <= set(HAPPY)
    assert streamed == HAPPY
