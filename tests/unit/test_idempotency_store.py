"""The idempotency store contract on the in-memory fake and on the Redis adapter over fakeredis."""

import pytest
from fakeredis.aioredis import FakeRedis

from producer.idempotency import Claimed, IdempotencyStore
from producer.idempotency.keys import key_digest
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.idempotency.redis import RedisIdempotencyStore
from tests.contract.idempotency_store_contract import (
    EVENT,
    FINGERPRINT,
    KEY,
    LONG_S,
    RESPONSE,
    IdempotencyStoreContract,
    MakeStore,
)


class TestInMemoryIdempotencyStore(IdempotencyStoreContract):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        def make(*, ttl_s: float = LONG_S, lease_s: float = LONG_S) -> IdempotencyStore:
            return InMemoryIdempotencyStore(ttl_s=ttl_s, lease_s=lease_s)

        return make


class TestRedisIdempotencyStoreOnFakeRedis(IdempotencyStoreContract):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        def make(*, ttl_s: float = LONG_S, lease_s: float = LONG_S) -> IdempotencyStore:
            client = FakeRedis(decode_responses=True)
            return RedisIdempotencyStore(client, "unit", ttl_s=ttl_s, lease_s=lease_s)

        return make


class TestRedisLayout:
    """What operators can rely on: where a key's record lives, and that it expires."""

    async def test_one_hash_per_key_named_by_its_digest_with_the_ttl(self) -> None:
        client = FakeRedis(decode_responses=True)
        store = RedisIdempotencyStore(client, "ns", ttl_s=3600, lease_s=10)
        await store.claim(KEY, FINGERPRINT, EVENT)

        record = f"ns:idem:{key_digest(KEY)}"
        assert await client.keys("*") == [record]
        assert KEY not in record
        fields = await client.hgetall(record)
        assert set(fields) == {"fingerprint", "state", "event", "lease", "lease_until"}
        assert (fields["state"], fields["event"]) == ("pending", EVENT.decode())
        assert 3_500_000 < await client.pttl(record) <= 3_600_000

        await store.complete(KEY, FINGERPRINT, RESPONSE)

        assert set(await client.hgetall(record)) == {"fingerprint", "state", "response"}
        assert 3_500_000 < await client.pttl(record) <= 3_600_000  # completing keeps the TTL

    async def test_works_without_decoded_responses(self) -> None:
        store = RedisIdempotencyStore(FakeRedis(), "bytes", ttl_s=60, lease_s=10)

        claim = await store.claim(KEY, FINGERPRINT, EVENT)

        assert isinstance(claim, Claimed)
        assert claim.event == EVENT
