"""The subscriber task (status_api/subscriber.py) on fakeredis: from the Lua's PUBLISH to the
waiters of one process, and back after a lost connection."""

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
        follow(lambda: FakeRedis(server=server), "ns:changes", feed, retry_s=0.01)
    )
    yield server, feed
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_written_change_wakes_its_waiter(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    await eventually(lambda: feed.connected)
    store = RedisStatusStore(FakeRedis(server=server, decode_responses=True), "ns")
    with feed.watch(ORDER_ID) as waiter:
        await waiter.wait(0)  # (the resync of the first subscribe, if it came after)
        assert await store.apply(PLACED)

        assert await waiter.wait(5)
    await store.close()


async def test_after_a_lost_connection_it_resubscribes_and_resyncs(
    following: tuple[FakeServer, ChangeFeed],
) -> None:
    server, feed = following
    await eventually(lambda: feed.connected)
    with feed.watch(ORDER_ID) as waiter:
        server.connected = False  # Redis goes away
        await eventually(lambda: not feed.connected)
        await waiter.wait(0)
        server.connected = True

        assert await waiter.wait(5)  # woken by the resync: read the order again
        await eventually(lambda: feed.connected)
