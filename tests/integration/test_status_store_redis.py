"""The status store contract on a real Redis, and what happens when Redis does not answer."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orders.domain.status import OrderStatus
from orders.errors import StoreUnavailable
from orders.status_store import StatusChange, StatusStore
from orders.status_store.redis import RedisStatusStore
from tests.contract.order_queries_contract import OrderQueriesContract
from tests.contract.status_store_contract import ORDER_ID, StatusStoreContract, apply_path
from tests.contract.status_table_contract import StatusTableContract

PLACED = StatusChange(
    order_id=ORDER_ID, status=OrderStatus.PENDING, version=0, at=datetime(2025, 1, 1, tzinfo=UTC)
)


async def _delete_namespace(redis_url: str, namespace: str) -> None:
    client: Redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


class TestRedisStatusStore(StatusStoreContract):
    @pytest.fixture
    async def store(self, redis_url: str, unique_prefix: str) -> AsyncIterator[StatusStore]:
        store = RedisStatusStore.from_url(redis_url, namespace=unique_prefix)
        yield store
        await store.close()
        await _delete_namespace(redis_url, unique_prefix)


class TestRedisOrderQueries(OrderQueriesContract):
    @pytest.fixture
    async def store(self, redis_url: str, unique_prefix: str) -> AsyncIterator[StatusStore]:
        store = RedisStatusStore.from_url(redis_url, namespace=unique_prefix)
        yield store
        await store.close()
        await _delete_namespace(redis_url, unique_prefix)


async def test_namespaces_do_not_share_orders(redis_url: str, unique_prefix: str) -> None:
    mine = RedisStatusStore.from_url(redis_url, namespace=f"{unique_prefix}-a")
    theirs = RedisStatusStore.from_url(redis_url, namespace=f"{unique_prefix}-b")
    try:
        await apply_path(mine, [OrderStatus.PENDING])
        assert await theirs.get(ORDER_ID) is None
        assert await theirs.apply(PLACED)  # their own first write, not a duplicate of mine
    finally:
        await mine.close()
        await theirs.close()
        for suffix in ("a", "b"):
            await _delete_namespace(redis_url, f"{unique_prefix}-{suffix}")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


Call = Callable[[StatusStore], Awaitable[object]]
CALLS: dict[str, Call] = {
    "apply": lambda store: store.apply(PLACED),
    "get": lambda store: store.get(ORDER_ID),
    "ping": lambda store: store.ping(),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_closed_port_is_store_unavailable(call: Call) -> None:
    store = RedisStatusStore.from_url(f"redis://127.0.0.1:{_closed_port()}/0", namespace="x")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await call(store)
    finally:
        await store.close()

    assert isinstance(caught.value.__cause__, RedisConnectionError)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_silent_server_is_store_unavailable(call: Call) -> None:
    # Accepts connections, never answers: the command must time out, not hang.
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStatusStore.from_url(f"redis://127.0.0.1:{port}/0", namespace="x", timeout_s=0.2)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await call(store)
    finally:
        await store.close()
        server.close()
        await server.wait_closed()

    assert isinstance(caught.value.__cause__, RedisTimeoutError | RedisConnectionError)


class TestStatusTablesOnRedis(StatusTableContract):
    @pytest.fixture
    async def client(self, redis_url: str, unique_prefix: str) -> AsyncIterator[Redis]:
        client: Redis = Redis.from_url(redis_url, decode_responses=True)
        yield client
        await client.aclose()
        await _delete_namespace(redis_url, unique_prefix)

    @pytest.fixture
    def namespace(self, unique_prefix: str) -> str:
        return unique_prefix
