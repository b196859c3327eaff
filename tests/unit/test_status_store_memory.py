"""The status store contract on the in-memory fake and on the Redis adapter over fakeredis."""

from collections.abc import AsyncIterator

import pytest
from fakeredis.aioredis import FakeRedis

from orders.domain.status import OrderStatus
from orders.status_store import StatusStore
from orders.status_store.memory import InMemoryStatusStore
from orders.status_store.redis import RedisStatusStore
from tests.contract.order_queries_contract import OrderQueriesContract
from tests.contract.status_store_contract import ORDER_ID, T0, StatusStoreContract, apply_path
from tests.contract.status_table_contract import StatusTableContract

S = OrderStatus


class TestInMemoryStatusStore(StatusStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[StatusStore]:
        store = InMemoryStatusStore()
        yield store
        await store.close()


class TestRedisStatusStoreOnFakeRedis(StatusStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[StatusStore]:
        store = RedisStatusStore(FakeRedis(decode_responses=True), namespace="unit")
        yield store
        await store.close()


class TestRedisStatusStoreLayout:
    """What other tools (redis-cli, dashboards) can rely on: the key layout and encodings."""

    async def test_keys_and_fields(self) -> None:
        client = FakeRedis(decode_responses=True)
        store = RedisStatusStore(client, namespace="ns")
        await apply_path(store, [S.PENDING, S.VALIDATED])

        assert sorted(await client.keys("*")) == [
            "ns:active",
            "ns:by-created",
            "ns:by-status:VALIDATED",
            "ns:changes:log",
            f"ns:order:{ORDER_ID}",
            f"ns:order:{ORDER_ID}:history",
        ]  # (the placed-per-second counter of 2025 has expired)
        fields = await client.hgetall(f"ns:order:{ORDER_ID}")
        assert set(fields) == {"status", "version", "created_at", "updated_at"}
        assert fields["status"] == "VALIDATED"
        assert fields["created_at"] == "2025-01-02T03:04:05.123456+00:00"
        assert await client.llen(f"ns:order:{ORDER_ID}:history") == 2
        assert await client.zrange("ns:active", 0, -1, withscores=True) == [
            (ORDER_ID, T0.timestamp() + 1)
        ]
        await store.close()

    async def test_works_without_decoded_responses(self) -> None:
        store = RedisStatusStore(FakeRedis(), namespace="bytes")
        await apply_path(store, [S.PENDING])

        view = await store.get(ORDER_ID)
        assert view is not None
        assert view.status is S.PENDING
        await store.close()


class TestStatusTablesOnFakeRedis(StatusTableContract):
    @pytest.fixture
    def client(self) -> FakeRedis:
        return FakeRedis(decode_responses=True)

    @pytest.fixture
    def namespace(self) -> str:
        return "unit"


class TestInMemoryOrderQueries(OrderQueriesContract):
    @pytest.fixture
    def store(self) -> StatusStore:
        return InMemoryStatusStore()


class TestRedisOrderQueriesOnFakeRedis(OrderQueriesContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[StatusStore]:
        store = RedisStatusStore(FakeRedis(decode_responses=True), namespace="unit")
        yield store
        await store.close()
