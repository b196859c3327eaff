"""GET /events resumes from Last-Event-ID on the real processes: a client that went away gets
every change made meanwhile, once and in order, then the live ones; an id the change log no
longer holds gets `reset`."""

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
from redis.asyncio import Redis

from orderflow.client import OrderflowClient, order_body
from orderflow.sse_client import Event, events
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.status_store.change_log import parse_id
from orders.status_store.tables import TableKeys
from tests.e2e.conftest import StackFactory

TERMINAL = {"COMPLETED", "REJECTED", "OUT_OF_STOCK", "PAYMENT_DECLINED", "CANCELLED"}
HAPPY = ["PENDING", "VALIDATED", "RESERVED", "PAID", "COMPLETED"]


async def read_until(
    stream: AsyncIterator[Event], done: Callable[[list[Event]], bool], within: float = 90
) -> list[Event]:
    """Events from `stream` until `done(events so far)`, within `within` seconds."""
    found: list[Event] = []
    async with asyncio.timeout(within):
        while not done(found):
            found.append(await anext(stream))
    return found


def ended(order_ids: list[str]) -> Callable[[list[Event]], bool]:
    """Done once every one of `order_ids` was seen in a terminal status."""
    return lambda found: (
        {e.data["order_id"] for e in found if e.kind == "status" and e.data["status"] in TERMINAL}
        >= set(order_ids)
    )


async def place(client: OrderflowClient, sku: str, count: int) -> list[str]:
    return [(await client.place(order_body([(sku, 1, "2.00")]))).order_id for _ in range(count)]


async def logged_ids(stack: LocalStack, after: str) -> list[str]:
    """The change log's ids after `after`, from Redis itself."""
    redis: Redis = Redis.from_url(stack.settings.redis_url, decode_responses=True)
    try:
        key = TableKeys(stack.settings.redis_namespace).change_log
        found = await redis.xrange(key, f"({after}", "+") or []
        return [str(entry_id) for entry_id, _ in found]
    finally:
        await redis.aclose()


async def test_events_resume_from_last_event_id(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-R"
    await set_stock(stack.settings, {sku: 100})
    url = f"{stack.status_url}/events"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        async with http.get(url) as response:  # follows before the first order is placed
            first = await place(client, sku, 1)
            before = await read_until(events(response), ended(first))
        last = before[-1].event_id
        assert last is not None

        # Away: more orders go all the way meanwhile.
        away = await place(client, sku, 3)
        for order_id in away:
            await client.wait_terminal(order_id, within=90)

        async with http.get(url, headers={"Last-Event-ID": last}) as response:
            stream = events(response)
            resumed = await read_until(stream, ended(away))
            later = await place(client, sku, 1)  # and then live, on the same stream
            resumed += await read_until(stream, ended(later))

    ids = [e.event_id or "" for e in resumed]
    assert all(e.kind == "status" for e in resumed)
    assert [parse_id(i) for i in ids] == sorted({parse_id(i) for i in ids})  # in order, once
    assert ids == (await logged_ids(stack, last))[: len(ids)]  # none skipped
    assert parse_id(ids[0]) > parse_id(last)
    for order_id in [*away, *later]:
        statuses = [e.data["status"] for e in resumed if e.data["order_id"] == order_id]
        assert statuses == HAPPY, (order_id, statuses)


async def test_an_id_the_log_no_longer_holds_gets_reset(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=1)
    sku = f"{stack.settings.topic_prefix}-T"
    await set_stock(stack.settings, {sku: 100})
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        placed = await place(client, sku, 1)
        await client.wait_terminal(placed[0], within=90)
        newest = (await logged_ids(stack, "0-0"))[-1]

        headers = {"Last-Event-ID": "1-0"}  # older than anything the log holds
        async with http.get(f"{stack.status_url}/events", headers=headers) as response:
            stream = events(response)
            (reset,) = await read_until(stream, lambda found: len(found) == 1)
            later = await place(client, sku, 1)
            live = await read_until(stream, ended(later))

    assert reset.kind == "reset"
    assert reset.event_id == newest
    assert "GET /orders" in reset.data["reason"]
    assert [e.data["status"] for e in live] == HAPPY
    assert all(e.event_id is not None and parse_id(e.event_id) > parse_id(newest) for e in live)
