"""The one task per status API process that follows the change feed's Redis channel.

It subscribes on a connection of its own (a subscribed connection can do nothing else), hands
every message to the process's ChangeFeed, and reconnects after Redis went away. After every
(re)subscribe the feed resyncs: changes published while nobody listened are lost to pub/sub,
so the waiters read their orders again. While Redis is down, waiters simply time out.
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
    connect: Callable[[], Redis], channel: str, feed: ChangeFeed, *, retry_s: float = 0.5
) -> None:
    """Feed `feed` from `channel` until cancelled, on a client from `connect()`; after a
    failure, a new client every `retry_s` until Redis answers again."""
    quiet = False  # said so already: one warning per outage
    while True:
        client = connect()
        try:
            await _listen(client, channel, feed)
        except (RedisConnectionError, RedisTimeoutError, OSError) as e:
            if feed.connected or not quiet:  # (still True here: `finally` has not run yet)
                log.warning("change feed: no subscription to %s (%s); retrying", channel, e)
            quiet = True
        finally:
            feed.connected = False
            await client.aclose()
        await asyncio.sleep(retry_s)


async def _listen(client: Redis, channel: str, feed: ChangeFeed) -> None:
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        feed.connected = True
        feed.resync()
        log.info("change feed: subscribed to %s", channel)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_S)
            if message is None or message.get("type") != "message":
                continue
            try:
                feed.publish(decode_feed_message(message["data"]))
            except DecodeError as e:
                log.warning("change feed: %s", e)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # (untyped in redis-py)
