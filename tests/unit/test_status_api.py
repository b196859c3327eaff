"""The status API over the in-memory store (and one Redis client pointed at a closed port)."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orders.domain.status import OrderStatus
from orders.errors import StoreUnavailable
from orders.http import announce
from orders.settings import Settings
from orders.status_store import OrderView, StatusChange
from orders.status_store.memory import InMemoryStatusStore
from status_api.app import create_app, run

ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
UNKNOWN_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RV"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
T1 = datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC)

Client = TestClient[web.Request, web.Application]


class DownStore(InMemoryStatusStore):
    """A store whose Redis has gone away."""

    async def get(self, order_id: str) -> OrderView | None:
        raise StoreUnavailable("redis get failed: connection refused")

    async def ping(self) -> None:
        raise StoreUnavailable("redis ping failed: connection refused")


class BuggyStore(InMemoryStatusStore):
    async def get(self, order_id: str) -> OrderView | None:
        raise RuntimeError("secret detail that must not leak")


def settings(**overrides: object) -> Settings:
    return Settings.model_validate(overrides)


async def client_for(app: web.Application) -> Client:
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def store() -> InMemoryStatusStore:
    store = InMemoryStatusStore()
    placed = StatusChange(
        order_id=ORDER_ID,
        status=OrderStatus.PENDING,
        version=3,
        at=T0,
        total=Decimal("12.50"),
        customer_id="c-1",
    )
    assert await store.apply(placed)
    assert await store.apply(
        StatusChange(
            order_id=ORDER_ID, status=OrderStatus.REJECTED, version=4, at=T1, reason="too big"
        )
    )
    return store


@pytest.fixture
async def client(store: InMemoryStatusStore) -> AsyncIterator[Client]:
    client = await client_for(create_app(settings(), store=store))
    yield client
    await client.close()


async def test_found_order_shape(client: Client) -> None:
    response = await client.get(f"/orders/{ORDER_ID}")

    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {
        "order_id": ORDER_ID,
        "status": "REJECTED",
        "reason": "too big",
        "version": 4,
        "created_at": "2025-01-02T03:04:05+00:00",
        "updated_at": "2025-01-02T03:04:06+00:00",
        "total": "12.50",
        "history": [
            {"status": "PENDING", "at": "2025-01-02T03:04:05+00:00", "reason": None, "version": 3},
            {
                "status": "REJECTED",
                "at": "2025-01-02T03:04:06+00:00",
                "reason": "too big",
                "version": 4,
            },
        ],
    }


async def test_lower_case_id_is_normalised(client: Client) -> None:
    response = await client.get(f"/orders/{ORDER_ID.lower()}")

    assert response.status == 200
    assert (await response.json())["order_id"] == ORDER_ID


async def test_unknown_order_is_404(client: Client) -> None:
    response = await client.get(f"/orders/{UNKNOWN_ID}")

    assert response.status == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {"error": "order not found"}


@pytest.mark.parametrize(
    "order_id",
    [
        "not-a-ulid",
        ORDER_ID[:-1],  # too short
        ORDER_ID + "0",  # too long
        ORDER_ID[:-1] + "U",  # U is not Crockford base32
        ORDER_ID[:-1] + "%C3%A9",  # non-ASCII
    ],
)
async def test_malformed_id_is_404(client: Client, order_id: str) -> None:
    response = await client.get(f"/orders/{order_id}")

    assert response.status == 404
    assert await response.json() == {"error": "order not found"}


async def test_unknown_route_and_wrong_method_are_json(client: Client) -> None:
    missing = await client.get("/nowhere")
    wrong_method = await client.post(f"/orders/{ORDER_ID}")

    assert missing.status == 404
    assert await missing.json() == {"error": "Not Found"}
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "GET,HEAD"
    assert await wrong_method.json() == {"error": "Method Not Allowed"}


async def test_healthz_and_readyz_ok(client: Client) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status == 200, path
        assert await response.json() == {"status": "ok"}


async def test_store_down() -> None:
    client = await client_for(create_app(settings(), store=DownStore()))
    try:
        order = await client.get(f"/orders/{ORDER_ID}")
        order_body = await order.json()
        ready = await client.get("/readyz")
        ready_body = await ready.json()
        health = await client.get("/healthz")
    finally:
        await client.close()

    assert order.status == 503
    assert order.headers["Retry-After"] == "1"
    assert order_body == {"error": "status store unavailable"}
    assert ready.status == 503
    assert ready_body == {"status": "unavailable"}
    assert health.status == 200  # liveness does not depend on Redis


async def test_unexpected_error_is_a_bare_500(caplog: pytest.LogCaptureFixture) -> None:
    client = await client_for(create_app(settings(), store=BuggyStore()))
    try:
        response = await client.get(f"/orders/{ORDER_ID}")
        body = await response.text()
    finally:
        await client.close()

    assert response.status == 500
    assert body == '{"error": "internal error"}'
    assert "secret detail" in caplog.text  # logged for us, not shown to the client


async def test_own_redis_store_from_settings() -> None:
    # Nothing listens on port 1: the app-owned Redis store is created, fails and is closed.
    app = create_app(settings(redis_url="redis://127.0.0.1:1/0"))
    client = await client_for(app)
    try:
        ready = await client.get("/readyz")
        order = await client.get(f"/orders/{ORDER_ID}")
    finally:
        await client.close()

    assert ready.status == 503
    assert order.status == 503


async def test_run_serves_until_cancelled(
    store: InMemoryStatusStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="status_api.app")
    task = asyncio.create_task(run(settings(status_api_port=0), store=store))
    async with asyncio.timeout(10):  # the deadline: never hang on a server that did not start
        while not (found := re.search(r"listening on (http://\S+)", caplog.text)):
            await asyncio.sleep(0.01)
            assert not task.done()

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{found.group(1)}/orders/{ORDER_ID}") as response,
    ):
        assert response.status == 200

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_announce_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    announce(
        "status API", "======== Running on http://127.0.0.1:8081 ========\n(Press CTRL+C to quit)"
    )

    assert capsys.readouterr().out == "orderflow status API listening on http://127.0.0.1:8081\n"
