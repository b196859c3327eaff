"""GET /events resumes from Last-Event-ID through the change log (fakeredis: the projection's
Lua writes, the subscriber task wakes the stream, the log holds the backlog)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fakeredis import FakeServer
from fakeredis.aioredis import FakeRedis

from orders.domain.status import OrderStatus
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store import change_log as change_log_module
from orders.status_store.change_feed import FeedMessage
from orders.status_store.redis import RedisStatusStore
from status_api.app import create_app
from status_api.subscriber import follow
from status_api.watch import FEED
from tests.unit.stage_helpers import eventually
from tests.unit.test_status_api_streams import read_events

S = OrderStatus
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
IDS = [f"01JD3Q7ZK5V9W8X2Y4N6M0P1{suffix}" for suffix in ("RA", "RB", "RC", "RD", "RE", "RF")]

Client = TestClient[web.Request, web.Application]


@dataclass
class Resumable:
    client: Client
    store: RedisStatusStore
    redis: FakeRedis

    async def place(self, order_id: str, version: int = 1) -> str:
        """Write a PENDING order; the id of its change log entry."""
        change = StatusChange(order_id=order_id, status=S.PENDING, version=version, at=T0)
        assert await self.store.apply(change)
        newest = await self.redis.xrevrange("ns:changes:log", count=1)
        return str(newest[0][0])

    async def events(
        self, last_event_id: str | None, params: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """A stream, once it follows the feed."""
        headers = {} if last_event_id is None else {"Last-Event-ID": last_event_id}
        response = await self.client.get("/events", headers=headers, params=params or {})
        assert response.status == 200
        async with asyncio.timeout(5):
            while (await response.content.readline()) != b": connected\n":
                pass
        return response

    @property
    def streaming(self) -> int:
        assert self.client.app is not None
        return self.client.app[FEED].streaming


@pytest.fixture
async def api() -> AsyncIterator[Resumable]:
    server = FakeServer()
    redis = FakeRedis(server=server, decode_responses=True)
    store = RedisStatusStore(redis, "ns", change_log_len=1000)
    app = create_app(Settings(redis_namespace="ns"), store=store, change_log=store.change_log)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    feed = app[FEED]
    task = asyncio.create_task(follow(lambda: FakeRedis(server=server), "ns:changes", feed))
    await eventually(lambda: feed.followed)  # it subscribes when a stream opens
    yield Resumable(client, store, redis)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.close()
    await store.close()


def seen(events: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(e.get("id"), e["data"]["order_id"]) for e in events]  # type: ignore[index]


async def test_live_events_carry_their_change_log_id(api: Resumable) -> None:
    response = await api.events(None)
    first = await api.place(IDS[0])

    assert seen(await read_events(response, 1)) == [(first, IDS[0])]
    response.close()


async def test_a_resumed_stream_sends_what_came_after_its_id_then_goes_on_live(
    api: Resumable,
) -> None:
    ids = [await api.place(order_id) for order_id in IDS[:3]]
    response = await api.events(ids[0])
    backlog = await read_events(response, 2)
    later = await api.place(IDS[3])

    assert seen(backlog) == [(ids[1], IDS[1]), (ids[2], IDS[2])]
    assert [e["event"] for e in backlog] == ["status", "status"]
    assert seen(await read_events(response, 1)) == [(later, IDS[3])]
    response.close()


async def test_live_changes_the_backlog_already_sent_are_dropped(api: Resumable) -> None:
    ids = [await api.place(order_id) for order_id in IDS[:3]]
    response = await api.events(ids[0])
    await read_events(response, 2)
    assert api.client.app is not None
    feed = api.client.app[FEED]
    # As if the subscriber delivered, after the log was read, notes the log had given already.
    for order_id, entry_id in zip(IDS[1:3], ids[1:], strict=True):
        feed.publish(FeedMessage(order_id=order_id, version=1, status=S.PENDING, id=entry_id))
    later = await api.place(IDS[3])

    assert seen(await read_events(response, 1)) == [(later, IDS[3])]
    response.close()


@pytest.mark.parametrize("last", ["0-1", "nonsense", "1-2-3", "99999999999999999999999-0"])
async def test_an_id_the_log_no_longer_holds_gets_reset_then_live(
    api: Resumable, last: str
) -> None:
    tail = await api.place(IDS[0])
    response = await api.events(last)
    (reset,) = await read_events(response, 1)
    later = await api.place(IDS[1])

    assert reset["event"] == "reset"
    assert reset["id"] == tail  # the client's Last-Event-ID moves on to what it reloads
    assert "GET /orders" in reset["data"]["reason"]
    assert seen(await read_events(response, 1)) == [(later, IDS[1])]
    response.close()


async def test_a_trimmed_id_gets_reset(api: Resumable) -> None:
    first = await api.place(IDS[0])
    await api.place(IDS[1])
    await api.redis.xtrim("ns:changes:log", maxlen=1, approximate=False)
    response = await api.events(first)

    assert [e["event"] for e in await read_events(response, 1)] == ["reset"]
    response.close()


async def test_a_blank_id_is_no_id(api: Resumable) -> None:
    await api.place(IDS[0])
    response = await api.events(None, params={"last_event_id": "  "})
    later = await api.place(IDS[1])

    assert seen(await read_events(response, 1)) == [(later, IDS[1])]  # no reset, no backlog
    response.close()


async def test_the_backlog_is_read_page_by_page(
    api: Resumable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(change_log_module, "PAGE", 2)
    ids = [await api.place(order_id) for order_id in IDS]
    resumption = await api.store.change_log.since(ids[0])

    assert resumption.found
    assert [c.id for c in resumption.changes] == ids[1:]
    assert [c.message.order_id for c in resumption.changes] == IDS[1:]
    assert resumption.tail == ids[-1]
    assert (await api.store.change_log.since(ids[-1])).changes == []
