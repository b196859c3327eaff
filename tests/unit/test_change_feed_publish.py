"""The status table's writer announces live changes on the change feed (fakeredis pub/sub)."""

import asyncio
from datetime import UTC, datetime

from fakeredis.aioredis import FakeRedis
from redis.asyncio.client import PubSub

from orders.domain.status import OrderStatus
from orders.status_store import StatusChange
from orders.status_store.change_feed import FeedMessage, decode_feed_message
from orders.status_store.redis import RedisStatusStore

S = OrderStatus
ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def change(status: OrderStatus, version: int, reason: str | None = None) -> StatusChange:
    return StatusChange(order_id=ORDER_ID, status=status, version=version, at=T0, reason=reason)


async def messages(pubsub: PubSub, wanted: int) -> list[FeedMessage]:
    found: list[FeedMessage] = []
    async with asyncio.timeout(5):
        while len(found) < wanted:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                found.append(decode_feed_message(message["data"]))
    return found


async def test_each_written_change_is_published_once() -> None:
    client = FakeRedis(decode_responses=True)
    pubsub = client.pubsub()
    await pubsub.subscribe("ns:changes")
    store = RedisStatusStore(client, "ns")

    assert await store.apply(change(S.PENDING, 3))
    assert not await store.apply(change(S.PENDING, 3))  # a repeat: not written, not announced
    assert await store.apply(change(S.REJECTED, 5, reason="too big ✓"))

    published = await messages(pubsub, 2)
    assert [m.model_copy(update={"id": None}) for m in published] == [
        FeedMessage(order_id=ORDER_ID, version=3, status=S.PENDING),
        FeedMessage(order_id=ORDER_ID, version=5, status=S.REJECTED, reason="too big ✓"),
    ]
    # each carries the id of its change log entry, which keeps the same note
    logged = await client.xrange("ns:changes:log")
    assert [m.id for m in published] == [entry_id for entry_id, _ in logged]
    assert [decode_feed_message(fields["note"]) for _, fields in logged] == [
        m.model_copy(update={"id": None}) for m in published
    ]
    await pubsub.aclose()
    await store.close()


async def test_a_named_table_is_not_announced() -> None:
    client = FakeRedis(decode_responses=True)
    pubsub = client.pubsub()
    await pubsub.subscribe("ns:changes")
    pinned = RedisStatusStore(client, "ns", table="rebuild")
    live = RedisStatusStore(client, "ns")

    assert await pinned.apply(change(S.PENDING, 3))
    assert await live.apply(change(S.PENDING, 4))

    assert [m.version for m in await messages(pubsub, 1)] == [4]
    assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1) is None
    await pubsub.aclose()
    await live.close()


async def test_history_entries_carry_their_version_and_old_ones_still_read() -> None:
    client = FakeRedis(decode_responses=True)
    store = RedisStatusStore(client, "ns")
    assert await store.apply(change(S.PENDING, 3))
    old_entry = '{"status": "VALIDATED", "at": "2025-01-02T03:04:05+00:00", "reason": null}'
    await client.rpush(f"ns:order:{ORDER_ID}:history", old_entry)

    view = await store.get(ORDER_ID)

    assert view is not None
    assert [(h.status, h.version) for h in view.history] == [(S.PENDING, 3), (S.VALIDATED, None)]
    await store.close()
