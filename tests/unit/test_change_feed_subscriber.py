"""The subscriber task (status_api/subscriber.py) on fakeredis: from the Lua's PUBLISH to the
waiters of one process, back after a lost connection, and subscribed only while somebody
listens."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from fakeredis import FakeServer
from fakeredis.aioredis import FakeRedis

from orders.domain.status import OrderStatus
from orders.status_store import StatusChange
from orders.status_store.redis import RedisStatusStore
from status_api.feed import ChangeFeed
from status_api.subscriber import follow
from tests.unit.stage_helpers import eventually

ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
PLACED = StatusChange(
    order_id=ORDER_ID, status=OrderStatus.PENDING, version=1, at=datetime(2025, 1, 2, tzinfo=UTC)
)


@pytest.fixture
async def following() -> AsyncIterator[tuple[FakeServer, ChangeFeed]]:
    server = FakeServer()
    feed = ChangeFeed()
    task = asyncio.create_task(
        follow(lambda: FakeRedis(server=server), "ns:changes", feed, retry_s=0.01, idle_s=0.2)
    )
    yield server, feed
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_written_change_wakes_its_waiter(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    await a_written_change_wakes_a_new_waiter(server, feed)


async def a_written_change_wakes_a_new_waiter(server: FakeServer, feed: ChangeFeed) -> None:
    store = RedisStatusStore(FakeRedis(server=server, decode_responses=True), "ns")
    with feed.watch(ORDER_ID) as waiter:
        await eventually(lambda: feed.connected)  # subscribed for this waiter
        assert await waiter.wait(1)  # the subscribe's resync: read the order again
        assert await store.apply(PLACED)

        assert await waiter.wait(5)
    await store.close()


async def test_after_a_lost_connection_it_resubscribes_and_resyncs(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    with feed.watch(ORDER_ID) as waiter:
        await eventually(lambda: feed.connected)
        server.connected = False  # Redis goes away
        await eventually(lambda: not feed.connected)
        await waiter.wait(0)
        server.connected = True

        assert await waiter.wait(5)  # woken by the resync: read the order again
        await eventually(lambda: feed.connected)


async def test_it_subscribes_while_somebody_listens_and_lets_go_after_idle_s(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    await eventually(lambda: feed.followed)  # the task runs, and waits for a listener
    assert not feed.connected  # nobody listens: no subscription, no messages to decode
    with feed.stream():
        await eventually(lambda: feed.connected)
    await eventually(lambda: not feed.connected)  # idle_s after the last listener
    await a_written_change_wakes_a_new_waiter(server, feed)  # subscribed again


async def test_a_change_while_it_subscribes_wakes_the_first_waiter(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    store = RedisStatusStore(FakeRedis(server=server, decode_responses=True), "ns")
    with feed.watch(ORDER_ID) as waiter:  # registered before its read, as watch.py does
        assert await store.apply(PLACED)  # written before the subscription is up: missed
        assert await waiter.wait(5)  # ...but the subscribe's resync wakes it to read again
    await store.close()
