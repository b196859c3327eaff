"""The idempotency store contract on a real Redis, and an unreachable Redis."""

import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from orders.errors import StoreUnavailable
from orders.redis_support import redis_client
from producer.idempotency import IdempotencyStore, StoredResponse
from producer.idempotency.redis import RedisIdempotencyStore
from tests.contract.idempotency_store_contract import (
    EVENT,
    FINGERPRINT,
    KEY,
    LONG_S,
    IdempotencyStoreContract,
    MakeStore,
)


class TestRedisIdempotencyStore(IdempotencyStoreContract):
    @pytest.fixture
    async def client(self, redis_url: str, unique_prefix: str) -> AsyncIterator[Redis]:
        client = redis_client(redis_url)
        yield client
        keys = [key async for key in client.scan_iter(match=f"{unique_prefix}-*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    @pytest.fixture
    def make_store(self, client: Redis, unique_prefix: str) -> MakeStore:
        made = 0

        def make(*, ttl_s: float = LONG_S, lease_s: float = LONG_S) -> IdempotencyStore:
            nonlocal made
            made += 1  # each store its own namespace: fresh and empty
            namespace = f"{unique_prefix}-{made}"
            return RedisIdempotencyStore(client, namespace, ttl_s=ttl_s, lease_s=lease_s)

        return make


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


async def test_an_unreachable_redis_is_store_unavailable() -> None:
    client = redis_client(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=0.5)
    store = RedisIdempotencyStore(client, "x", ttl_s=60, lease_s=10)
    try:
        with pytest.raises(StoreUnavailable):
            await store.claim(KEY, FINGERPRINT, EVENT)
        with pytest.raises(StoreUnavailable):
            await store.complete(KEY, FINGERPRINT, StoredResponse(202, {}))
        with pytest.raises(StoreUnavailable):
            await store.release(KEY, "lease")
    finally:
        await client.aclose()
