"""What the live routes need in the app: the process's change feed, the one subscriber task
that feeds it from Redis (when the app owns its store), and an early end for waits at shutdown.
"""

import functools
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from orders.settings import Settings
from orders.status_store.tables import TableKeys
from status_api.feed import ChangeFeed
from status_api.streams import HEARTBEAT_S
from status_api.subscriber import follow, subscriber_client
from status_api.tasks import running
from status_api.watch import FEED


def install(app: web.Application, settings: Settings, *, subscribe: bool) -> None:
    """Give `app` a change feed; with `subscribe`, a task feeds it from Redis (tests that
    bring their own store publish to `app[FEED]` themselves)."""
    feed = ChangeFeed()
    app[FEED] = feed
    app[HEARTBEAT_S] = settings.status_api_heartbeat_s
    if subscribe:
        app.cleanup_ctx.append(_subscriber(settings, feed))

    async def close_feed(app: web.Application) -> None:
        # Runs before aiohttp waits for requests in flight: long-polls answer and streams
        # end now, instead of holding the shutdown for their whole wait.
        feed.close()

    app.on_shutdown.append(close_feed)


def _subscriber(
    settings: Settings, feed: ChangeFeed
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def subscriber(app: web.Application) -> AsyncIterator[None]:
        channel = TableKeys(settings.redis_namespace).changes
        connect = functools.partial(subscriber_client, settings.redis_url)
        async with running(follow(connect, channel, feed)):
            yield

    return subscriber
