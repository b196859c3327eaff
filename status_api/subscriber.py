"""The one task per status API process that follows the change feed's Redis channel.

It subscribes on a connection of its own (a subscribed connection can do nothing else), hands
every message to the process's ChangeFeed, and reconnects after Redis went away. After every
(re)subscribe the feed resyncs: changes published while nobody listened are lost to pub/sub,
so the waiters read their orders again. While Redis is down, waiters simply time out.

It subscribes on demand: when the first request waits (a long-poll, an event stream), and it
unsubscribes, closing its connection, once nobody has listened for `idle_s`. A process that
only answers plain reads then spends nothing on the channel (every status change of the
system is a message on it).
"""

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orders.errors import DecodeError
from orders.status_store.change_feed import decode_feed_message
from status_api.feed import ChangeFeed

log = logging.getLogger(__name__)

POLL_S = 1.0  # longest wait for one message before the loop looks around again
IDLE_S = 30.0  # unsubscribe once nobody has listened this long
HEALTH_CHECK_S = 5  # an idle connection is pinged this often, so a dead one is noticed


def subscriber_client(url: str) -> Redis:
    """A client for the subscription alone: no command timeout (it waits for messages), no
    retries of its own (follow() reconnects), and idle pings to notice a dead connection."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        health_check_interval=HEALTH_CHECK_S,
        retry=Retry(NoBackoff(), 0),  # the loop below reconnects
    )


async def follow(
    connect: Callable[[], Redis],
    channel: str,
    feed: ChangeFeed,
    *,
    retry_s: float = 0.5,
    idle_s: float = IDLE_S,
) -> None:
    """Feed `feed` from `channel` until cancelled, on a client from `connect()`, while
    somebody listens; after a failure, a new client every `retry_s` until Redis answers."""
    feed.followed = True
    quiet = False  # said so already: one warning per outage
    while True:
        await feed.wanted()
        client = connect()
        try:
            await _listen(client, channel, feed, idle_s)
        except (RedisConnectionError, RedisTimeoutError, OSError) as e:
            if feed.connected or not quiet:  # (still True here: `finally` has not run yet)
                log.warning("change feed: no subscription to %s (%s); retrying", channel, e)
            quiet = True
        else:
            log.info("change feed: nobody listened for %.0fs; unsubscribed", idle_s)
            quiet = False
            continue  # (after `finally`): wait for the next listener
        finally:
            feed.connected = False
            await client.aclose()
        await asyncio.sleep(retry_s)


async def _listen(client: Redis, channel: str, feed: ChangeFeed, idle_s: float) -> None:
    """Hand the channel's messages to `feed` until nobody has listened for `idle_s`."""
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        feed.connected = True
        feed.resync()
        log.info("change feed: subscribed to %s", channel)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_S)
            if not feed.listened:
                if feed.quiet_for() >= idle_s:
                    feed.connected = False  # (now: a stream that comes during the close waits)
                    return
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                feed.publish(decode_feed_message(message["data"]))
            except DecodeError as e:
                log.warning("change feed: %s", e)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # (untyped in redis-py)
