"""Where the Redis status store reads and writes: the live-table pointer, named tables and the
freeze. Run on fakeredis (tests/unit) and on a real Redis (tests/integration).

Subclasses provide `client` (a Redis client, decode_responses=True) and `namespace` (unique,
empty).
"""

from abc import ABC
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from orders.domain.status import OrderStatus
from orders.errors import ReplayError, StatusTableFrozen
from orders.replay.redis_tables import StatusTables
from orders.status_store.redis import RedisStatusStore
from tests.contract.status_store_contract import ORDER_ID, T0, apply_path, change

S = OrderStatus


class StatusTableContract(ABC):  # noqa: B024 - abstract by its fixtures, not by a method
    @pytest.fixture
    def client(self) -> Redis:
        raise NotImplementedError

    @pytest.fixture
    def namespace(self) -> str:
        raise NotImplementedError

    async def test_without_a_pointer_the_live_table_is_the_namespace(
        self, client: Redis, namespace: str
    ) -> None:
        store = RedisStatusStore(client, namespace)
        await apply_path(store, [S.PENDING])

        assert await client.hget(f"{namespace}:order:{ORDER_ID}", "status") == "PENDING"
        assert await StatusTables(client, namespace).live_table() == namespace

    async def test_reads_and_writes_follow_the_pointer(self, client: Redis, namespace: str) -> None:
        store = RedisStatusStore(client, namespace)
        await apply_path(store, [S.PENDING])  # into the legacy table
        await client.set(f"{namespace}:status-table", f"{namespace}:t:new")

        assert await store.get(ORDER_ID) is None  # the new table is empty
        await apply_path(store, [S.PENDING, S.VALIDATED], first_version=5)
        view = await store.get(ORDER_ID)
        assert view is not None
        assert (view.status, view.version) == (S.VALIDATED, 6)
        assert await client.hget(f"{namespace}:t:new:order:{ORDER_ID}", "status") == "VALIDATED"
        assert await client.hget(f"{namespace}:order:{ORDER_ID}", "status") == "PENDING"
        stalled = await store.stalled(T0 + timedelta(days=1))
        assert [(s.order_id, s.status) for s in stalled] == [(ORDER_ID, S.VALIDATED)]

    async def test_a_store_on_a_named_table_ignores_the_pointer(
        self, client: Redis, namespace: str
    ) -> None:
        await apply_path(RedisStatusStore(client, namespace, table="then"), [S.PENDING])
        await client.set(f"{namespace}:status-table", f"{namespace}:t:now")

        pinned = RedisStatusStore(client, namespace, table="then")
        view = await pinned.get(ORDER_ID)
        assert view is not None
        assert view.status is S.PENDING
        assert await RedisStatusStore(client, namespace).get(ORDER_ID) is None

    async def test_live_writes_wait_while_frozen(self, client: Redis, namespace: str) -> None:
        store = RedisStatusStore(client, namespace)
        await apply_path(store, [S.PENDING])
        tables = StatusTables(client, namespace)
        token = await tables.take_freeze(ttl_s=30)
        assert token is not None

        with pytest.raises(StatusTableFrozen):
            await store.apply(change(S.VALIDATED, 1))
        view = await store.get(ORDER_ID)  # reads go on
        assert view is not None
        assert view.status is S.PENDING  # nothing written
        named = RedisStatusStore(client, namespace, table="build")
        assert await named.apply(change(S.PENDING, 0))  # a replay's table is never frozen

        await tables.release_freeze(token)
        assert await store.apply(change(S.VALIDATED, 1))

    async def test_the_freeze_is_held_once_and_expires(self, client: Redis, namespace: str) -> None:
        tables = StatusTables(client, namespace)
        token = await tables.take_freeze(ttl_s=30)
        assert token is not None
        assert await tables.take_freeze(ttl_s=30) is None
        await tables.release_freeze("not-ours")
        assert await client.get(f"{namespace}:status-freeze") == token
        assert 0 < await client.pttl(f"{namespace}:status-freeze") <= 30_000

    async def test_switch_needs_our_freeze(self, client: Redis, namespace: str) -> None:
        tables = StatusTables(client, namespace)
        new = tables.keys.table("new")
        token = await tables.take_freeze(ttl_s=30)
        assert token is not None

        assert await tables.switch(new, "someone-else") is None
        assert await tables.live_table() == namespace
        assert await tables.switch(new, token) == namespace  # the old live table
        assert await tables.live_table() == new
        assert await client.exists(f"{namespace}:status-freeze") == 0
        assert await tables.switch(tables.keys.table("other"), token) is None  # used up

    async def test_drop_deletes_the_table_only(self, client: Redis, namespace: str) -> None:
        await apply_path(RedisStatusStore(client, namespace), [S.PENDING, S.VALIDATED])
        await apply_path(RedisStatusStore(client, namespace, table="kept"), [S.PENDING])
        await client.set(f"{namespace}:idem:abc", "1")
        tables = StatusTables(client, namespace)
        with pytest.raises(ReplayError):
            await tables.drop(namespace)  # the live table
        await client.set(f"{namespace}:status-table", tables.keys.table("kept"))

        # hash, history, active index, by-created and by-status:VALIDATED
        assert await tables.drop(namespace) == 5
        assert sorted(await client.keys(f"{namespace}:*")) == sorted([
            f"{namespace}:idem:abc",
            f"{namespace}:changes:log",  # the change log is the namespace's, not a table's
            f"{namespace}:status-table",
            f"{namespace}:t:kept:active",
            f"{namespace}:t:kept:by-created",
            f"{namespace}:t:kept:by-status:PENDING",
            f"{namespace}:t:kept:order:{ORDER_ID}",
            f"{namespace}:t:kept:order:{ORDER_ID}:history",
        ])  # fmt: skip
