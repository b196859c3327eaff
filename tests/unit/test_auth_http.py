"""Both services with ORDERFLOW_AUTH_MODE=jwt, over HTTP, on in-memory stores."""

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orders.domain.status import OrderStatus
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store.memory import InMemoryStatusStore
from producer.app import create_app as front_door
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.publisher import RecordingPublisher
from status_api import streams
from status_api.app import create_app as status_api
from tests.unit.auth_helpers import STAFF, hs256_settings, token
from tests.unit.idempotency_helpers import an_order

Client = TestClient[web.Request, web.Application]
ALICE_ORDER = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
BOB_ORDER = "01JD3Q7ZK5V9W8X2Y4N6M0P1RV"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SETTINGS = hs256_settings(auth_metrics_token="m" * 20)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


# Minted when a test runs (not at import: a long suite would outlive them).
def alice() -> dict[str, str]:
    return bearer(token(sub="alice"))


def bob() -> dict[str, str]:
    return bearer(token(sub="bob"))


def ops() -> dict[str, str]:
    return bearer(token(sub="ops", **STAFF))


@pytest.fixture
async def store() -> InMemoryStatusStore:
    store = InMemoryStatusStore()
    for order_id, customer in [(ALICE_ORDER, "alice"), (BOB_ORDER, "bob")]:
        change = StatusChange(order_id=order_id, status=OrderStatus.PENDING, version=1, at=T0,
                              total=Decimal("1.00"), customer_id=customer)  # fmt: skip
        assert await store.apply(change)
    return store


@pytest.fixture
async def status(store: InMemoryStatusStore) -> AsyncIterator[Client]:
    async with TestClient(TestServer(status_api(SETTINGS, store))) as client:
        yield client


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def orders(
    store: InMemoryStatusStore, publisher: RecordingPublisher
) -> AsyncIterator[Client]:
    app = front_door(SETTINGS, publisher=publisher, status_store=store,
                     idempotency=InMemoryIdempotencyStore(ttl_s=60, lease_s=30))  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [f"/orders/{ALICE_ORDER}", "/orders", f"/orders/{ALICE_ORDER}/events", "/events", "/stats",
     "/dashboard.json"],
)  # fmt: skip
async def test_no_token_is_401_with_a_challenge(status: Client, path: str) -> None:
    response = await status.get(path)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="orderflow"'
    assert "Bearer" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "Authorization must be"),
        ({"Authorization": "Bearer"}, "Authorization must be"),
        (bearer("not.a.token"), "malformed token"),
        (bearer(token(ttl_s=-3600)), "token expired"),
    ],
)
async def test_a_bad_token_is_401_saying_why(
    status: Client, header: dict[str, str], reason: str
) -> None:
    response = await status.get(f"/orders/{ALICE_ORDER}", headers=header)
    assert response.status == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="orderflow", error="invalid_token"')
    assert reason in (await response.json())["error"]


async def test_a_customer_reads_its_own_order_and_not_anothers(status: Client) -> None:
    assert (await status.get(f"/orders/{ALICE_ORDER}", headers=alice())).status == 200
    other = await status.get(f"/orders/{BOB_ORDER}", headers=alice())
    assert other.status == 404
    assert await other.json() == {"error": "order not found"}  # as an unknown order


async def test_another_customers_order_is_waited_for_like_an_unknown_one(
    status: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-poll or a stream on another's order waits, then 404s, as for an unknown id."""
    monkeypatch.setattr(streams, "APPEAR_WAIT_S", 0.2)
    response = await status.get(f"/orders/{BOB_ORDER}/events", headers=alice())
    assert response.status == 404
    started = asyncio.get_running_loop().time()
    response = await status.get(f"/orders/{BOB_ORDER}?wait=0.3", headers=alice())
    assert response.status == 404
    assert asyncio.get_running_loop().time() - started >= 0.3


async def test_a_customer_lists_only_its_own_orders(status: Client) -> None:
    for query in ("", "?customer_id=alice"):
        response = await status.get(f"/orders{query}", headers=alice())
        assert [o["order_id"] for o in (await response.json())["orders"]] == [ALICE_ORDER]
    assert (await status.get("/orders?customer_id=bob", headers=alice())).status == 404


async def test_staff_sees_every_order(status: Client) -> None:
    response = await status.get("/orders", headers=ops())
    assert {o["order_id"] for o in (await response.json())["orders"]} == {ALICE_ORDER, BOB_ORDER}
    assert (await status.get(f"/orders/{BOB_ORDER}", headers=ops())).status == 200
    assert (await status.get("/stats", headers=ops())).status == 200
    assert (await status.get("/dashboard.json", headers=ops())).status == 200


@pytest.mark.parametrize("path", ["/stats", "/dashboard.json", "/events"])
async def test_staff_routes_refuse_customers_with_403(status: Client, path: str) -> None:
    response = await status.get(path, headers=alice())
    assert response.status == 403
    assert "staff" in (await response.json())["error"]


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/board", "/dashboard"]
)
async def test_public_routes_need_no_token(status: Client, path: str) -> None:
    assert (await status.get(path)).status == 200


async def test_the_metrics_token(status: Client) -> None:
    assert (await status.get("/metrics")).status == 401
    assert (await status.get("/metrics", headers=ops())).status == 401  # a JWT is not it
    assert (await status.get("/metrics", headers=bearer("m" * 20))).status == 200


async def test_event_streams_take_the_token_in_the_query(status: Client) -> None:
    assert (await status.get("/events?access_token=x.y.z")).status == 401
    customer = token(sub="alice")
    assert (await status.get(f"/events?access_token={customer}")).status == 403
    assert (await status.get(f"/stats?access_token={token(sub='o', **STAFF)}")).status == 401


async def test_a_customer_places_orders_only_for_itself(
    orders: Client, publisher: RecordingPublisher
) -> None:
    assert (await orders.post("/orders", json=an_order())).status == 401
    own = await orders.post("/orders", json=an_order(customer_id="alice"), headers=alice())
    assert own.status == 202
    other = await orders.post("/orders", json=an_order(customer_id="bob"), headers=alice())
    assert other.status == 403
    assert (
        await orders.post("/orders", json=an_order(customer_id="bob"), headers=ops())
    ).status == 202
    assert len(publisher.published) == 2


async def test_a_customer_cancels_only_its_own_orders(orders: Client) -> None:
    assert (await orders.post(f"/orders/{BOB_ORDER}/cancel", headers=alice())).status == 404
    assert (await orders.post(f"/orders/{ALICE_ORDER}/cancel", headers=alice())).status == 202
    assert (await orders.post(f"/orders/{BOB_ORDER}/cancel", headers=ops())).status == 202


async def test_two_customers_with_the_same_key_get_their_own_orders(orders: Client) -> None:
    key = {"Idempotency-Key": "same-key"}
    answers: list[Any] = []
    for who, customer in [(alice(), "alice"), (bob(), "bob"), (alice(), "alice")]:
        body = an_order(customer_id=customer)
        response = await orders.post("/orders", json=body, headers={**who, **key})
        assert response.status == 202
        answers.append(await response.json())
    alices, bobs, alices_again = (a["order_id"] for a in answers)
    assert alices != bobs  # no 422 "key reused", no sight of the other's order
    assert alices_again == alices  # the key still works for its owner


async def test_the_documents_name_the_security_of_each_operation(
    status: Client, orders: Client
) -> None:
    spec = await (await status.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/orders/{order_id}"]["get"]["security"] == [{"bearerAuth": []}]
    assert "401" in spec["paths"]["/orders/{order_id}"]["get"]["responses"]
    assert "403" in spec["paths"]["/stats"]["get"]["responses"]
    assert "404" in spec["paths"]["/orders"]["get"]["responses"]
    assert spec["paths"]["/board"]["get"]["security"] == []
    assert spec["paths"]["/metrics"]["get"]["security"] == [{"metricsToken": []}]
    front = await (await orders.get("/openapi.json")).json()
    assert front["paths"]["/orders"]["post"]["security"] == [{"bearerAuth": []}]
    assert "403" in front["paths"]["/orders"]["post"]["responses"]


async def test_auth_off_warns_once_at_start(
    store: InMemoryStatusStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="orders.auth.middleware"):
        async with TestClient(TestServer(status_api(Settings(), store))) as client:
            assert (await client.get(f"/orders/{BOB_ORDER}")).status == 200
    warnings = [r.getMessage() for r in caplog.records if "AUTHENTICATION IS OFF" in r.getMessage()]
    assert len(warnings) == 1
