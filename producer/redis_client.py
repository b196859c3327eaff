"""The front door's one Redis client, made and closed in a cleanup context, kept under REDIS.

Generic on purpose: the idempotency keys use it, and so can any handler that reads Redis.
"""

from collections.abc import AsyncIterator, Callable

from aiohttp import web
from redis.asyncio import Redis

from orders.redis_support import redis_client
from orders.settings import Settings

REDIS = web.AppKey("redis", Redis)


def redis_context(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that puts a client under `app[REDIS]` and closes it on shutdown."""

    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        client = redis_client(settings.redis_url)
        app[REDIS] = client
        try:
            yield
        finally:
            await client.aclose()

    return redis_ctx
