"""What every Redis adapter shares (an adapter module: only the Redis adapters import it):
a client that gives up quickly, and "Redis did not answer" as the domain's StoreUnavailable."""

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orders.errors import StoreUnavailable

DEFAULT_TIMEOUT_S = 2.0
MAX_CONNECTIONS = 100  # redis-py's own default, which fails commands beyond it at once


def redis_client(
    url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, max_connections: int = MAX_CONNECTIONS
) -> Redis:
    """A client that connects lazily (on its first command) and gives up on a command after
    about `timeout_s` plus one quick retry: callers answer 503 or retry later, never hang.

    It opens at most `max_connections`; a command that finds them all busy waits for one (up
    to `timeout_s`) instead of failing at once, so a burst of concurrent requests queues.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        max_connections=max_connections,
        timeout=timeout_s,
    )
    return Redis.from_pool(pool)


@contextmanager
def unavailable_on_redis_errors(action: str) -> Iterator[None]:
    """Turn "Redis did not answer" into StoreUnavailable (callers retry or answer 503)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as e:
        raise StoreUnavailable(f"redis {action} failed: {e}") from e


def text(value: bytes | str) -> str:
    """A reply as str: the client may or may not have been built with decode_responses=True."""
    return value.decode() if isinstance(value, bytes) else value
