"""The change feed's registry (status_api/feed.py): who is woken by what."""

import asyncio

from orders.domain.status import OrderStatus
from orders.status_store.change_feed import FeedMessage
from status_api.feed import ChangeFeed, ChangeStream
from tests.unit.stage_helpers import eventually

A = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
B = "01JD3Q7ZK5V9W8X2Y4N6M0P1RV"


def message(order_id: str, version: int = 1) -> FeedMessage:
    return FeedMessage(order_id=order_id, version=version, status=OrderStatus.PENDING)


async def test_a_change_wakes_the_waiters_of_its_order_only() -> None:
    feed = ChangeFeed()
    with feed.watch(A) as a1, feed.watch(A) as a2, feed.watch(B) as b:
        feed.publish(message(A))

        assert await a1.wait(1)
        assert await a2.wait(1)
        assert not await b.wait(0.01)
        assert not await a1.wait(0.01)  # woken once per change, not forever


async def test_a_change_before_the_wait_is_not_lost() -> None:
    feed = ChangeFeed()
    with feed.watch(A) as waiter:
        feed.publish(message(A))  # between "register" and "wait": e.g. during the store read
        assert await waiter.wait(0)


async def test_waiters_leave_no_trace() -> None:
    feed = ChangeFeed()
    with feed.watch(A), feed.watch(A), feed.watch(B):
        assert feed.watching == 3
        assert feed.waiting == 0  # registered, but none has started to wait
    assert feed.watching == feed.waiting == 0
    feed.publish(message(A))  # nobody listens: nothing to do


async def test_many_waiters_are_woken_by_one_change() -> None:
    feed = ChangeFeed()

    async def one() -> bool:
        with feed.watch(A) as waiter:
            return await waiter.wait(5)

    waits = [asyncio.create_task(one()) for _ in range(1000)]
    await eventually(lambda: feed.waiting == 1000)
    feed.publish(message(A))

    assert all(await asyncio.gather(*waits))


async def test_waiting_counts_only_requests_inside_wait() -> None:
    feed = ChangeFeed()
    with feed.watch(A) as waiter:
        assert feed.waiting == 0  # e.g. still reading the order from Redis
        wait = asyncio.create_task(waiter.wait(5))
        await eventually(lambda: feed.waiting == 1)
        feed.publish(message(A))
        assert await wait
        assert feed.waiting == 0


async def test_resync_wakes_everyone_and_loses_the_streams_that_started_reading() -> None:
    feed = ChangeFeed()
    with feed.watch(A) as a, feed.watch(B) as b, feed.stream() as started, feed.stream() as new:
        started.start()
        feed.resync()

        assert await a.wait(1)
        assert await b.wait(1)
        assert started.lost
        assert not new.lost  # it reads the change log after this: it misses nothing


async def test_the_feed_is_wanted_while_somebody_waits_or_streams() -> None:
    feed = ChangeFeed()
    assert not feed.listened
    with feed.watch(A):
        assert feed.listened
        assert feed.quiet_for() == 0
        await asyncio.wait_for(feed.wanted(), 1)
        with feed.stream():
            pass
        assert feed.listened  # the waiter is still there
    assert not feed.listened
    assert 0 <= feed.quiet_for() < 1
    with feed.stream():
        assert feed.listened
    assert not feed.listened


async def test_a_stream_waits_for_the_subscription_only_when_a_subscriber_feeds_it() -> None:
    feed = ChangeFeed()
    await asyncio.wait_for(feed.subscribed(30), 1)  # no subscriber (tests): at once
    feed.followed = True
    waiting = asyncio.create_task(feed.subscribed(30))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    feed.connected = True
    await asyncio.wait_for(waiting, 1)
    feed.connected = False
    await asyncio.wait_for(feed.subscribed(0.01), 1)  # Redis away: it gives up in time


async def test_close_ends_present_and_future_waits() -> None:
    feed = ChangeFeed()
    with feed.watch(A) as before:
        feed.close()
        assert await before.wait(1)
        with feed.watch(B) as after, feed.stream() as stream:
            assert await after.wait(0)
            assert stream.lost
    assert feed.closing


async def test_a_stream_gets_every_change_in_order() -> None:
    feed = ChangeFeed()
    with feed.stream() as stream:
        for version in range(3):
            feed.publish(message(A, version))
        feed.publish(message(B, 9))

        batch = await stream.next(1)

        assert [(m.order_id, m.version) for m in batch] == [(A, 0), (A, 1), (A, 2), (B, 9)]
        assert await stream.next(0.01) == []
        assert not stream.lost


async def test_a_stream_that_falls_behind_is_lost() -> None:
    stream = ChangeStream(backlog=2)
    for version in range(3):
        stream.push(message(A, version))

    assert stream.lost
    assert await stream.next(1) == []
