"""The front door's one Redis client, made and closed in a cleanup context, kept under REDIS.

Generic on purpose: the idempotency keys use it, and so can any handler that reads Redis.
"""

from collections.abc import AsyncIterator, Callable

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from orders.settings import Settings

REDIS = web.AppKey("redis", Redis)

DEFAULT_TIMEOUT_S = 2.0


def redis_client(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Redis:
    """A client that connects lazily (on its first command) and gives up on a command after
    about `timeout_s` plus one quick retry: callers answer 503 rather than hang."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
    )


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
