"""POST /orders/{id}/cancel on the front door, with a recording publisher and the fake store."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from ulid import ULID

from orders.domain.events import CancellationRequested
from orders.domain.ids import issued_at
from orders.domain.status import OrderStatus
from orders.errors import BrokerUnavailable, StoreUnavailable
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store.memory import InMemoryStatusStore
from producer.app import create_app
from producer.cancel import DEFAULT_REASON, JUST_PLACED_S
from producer.publisher import RecordingPublisher

SETTINGS = Settings(status_api_public_url="http://status.test:8081")
ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
S = OrderStatus


async def at_status(
    store: InMemoryStatusStore, *path: OrderStatus, reason: str | None = None
) -> None:
    for version, status in enumerate(path):
        last = version == len(path) - 1
        change = StatusChange(
            order_id=ORDER_ID,
            status=status,
            version=version,
            at=datetime.now(UTC),
            reason=reason if last else None,
        )
        assert await store.apply(change)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def store() -> InMemoryStatusStore:
    return InMemoryStatusStore()


@pytest.fixture
async def client(
    publisher: RecordingPublisher, store: InMemoryStatusStore
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(SETTINGS, publisher=publisher, status_store=store)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.mark.parametrize(
    "path", [[S.PENDING], [S.PENDING, S.VALIDATED], [S.PENDING, S.VALIDATED, S.RESERVED]]
)
async def test_an_order_before_payment_gets_a_cancellation_request(
    client: TestClient[Any, Any],
    publisher: RecordingPublisher,
    store: InMemoryStatusStore,
    path: list[OrderStatus],
) -> None:
    await at_status(store, *path)

    response = await client.post(f"/orders/{ORDER_ID.lower()}/cancel", json={"reason": "too slow"})

    assert response.status == 202
    url = f"http://status.test:8081/orders/{ORDER_ID}"
    assert await response.json() == {
        "order_id": ORDER_ID,
        "status": path[-1].value,
        "cancellation": "requested",
        "status_url": url,
    }
    assert response.headers["Location"] == url
    [published] = publisher.published
    assert published.key == ORDER_ID  # on the order's key: ordered with its processing
    assert isinstance(published.event, CancellationRequested)
    assert published.event.order_id == ORDER_ID
    assert published.event.reason == "too slow"
    assert published.event.requested_by == "customer"


async def test_the_body_is_optional(
    client: TestClient[Any, Any], publisher: RecordingPublisher, store: InMemoryStatusStore
) -> None:
    await at_status(store, S.PENDING)

    response = await client.post(f"/orders/{ORDER_ID}/cancel")

    assert response.status == 202
    event = publisher.published[0].event
    assert isinstance(event, CancellationRequested)
    assert event.reason == DEFAULT_REASON


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ([S.PENDING, S.VALIDATED, S.RESERVED, S.PAID], None),
        ([S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.COMPLETED], None),
        ([S.PENDING, S.VALIDATED, S.OUT_OF_STOCK], "not enough stock: A"),
        ([S.PENDING, S.CANCELLED], "changed my mind"),
    ],
)
async def test_too_late_is_409_with_the_current_status(
    client: TestClient[Any, Any],
    publisher: RecordingPublisher,
    store: InMemoryStatusStore,
    path: list[OrderStatus],
    reason: str | None,
) -> None:
    await at_status(store, *path, reason=reason)

    response = await client.post(f"/orders/{ORDER_ID}/cancel")

    assert response.status == 409
    body = await response.json()
    assert body["status"] == path[-1].value
    assert body["reason"] == reason
    assert "can no longer be cancelled" in body["error"]
    assert publisher.published == []


@pytest.mark.parametrize("order_id", [ORDER_ID, "not-an-order-id", "0" * 27])
async def test_unknown_or_malformed_order_is_404(
    client: TestClient[Any, Any], publisher: RecordingPublisher, order_id: str
) -> None:
    response = await client.post(f"/orders/{order_id}/cancel")

    assert response.status == 404
    assert await response.json() == {"error": "order not found"}
    assert publisher.published == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"reason": ""}', {"Content-Type": "application/json"}, 422),
        (b'{"why": "x"}', {"Content-Type": "application/json"}, 422),
        (b'{"reason": ', {"Content-Type": "application/json"}, 400),
        (b"reason=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ],
)
async def test_a_bad_body_is_a_4xx_that_says_why(
    client: TestClient[Any, Any],
    publisher: RecordingPublisher,
    store: InMemoryStatusStore,
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    await at_status(store, S.PENDING)

    response = await client.post(f"/orders/{ORDER_ID}/cancel", data=body, headers=headers)

    assert response.status == status
    assert (await response.json())["error"]
    assert publisher.published == []


async def test_broker_down_is_503_with_retry_after(
    publisher: RecordingPublisher, store: InMemoryStatusStore, client: TestClient[Any, Any]
) -> None:
    await at_status(store, S.PENDING)
    publisher.fail_with = BrokerUnavailable("no broker")

    response = await client.post(f"/orders/{ORDER_ID}/cancel")

    assert response.status == 503
    assert response.headers["Retry-After"] == str(SETTINGS.retry_after_s)


class DownStore(InMemoryStatusStore):
    async def get(self, order_id: str) -> None:
        raise StoreUnavailable("redis is down")


async def test_status_store_down_is_503_not_500(publisher: RecordingPublisher) -> None:
    app = create_app(SETTINGS, publisher=publisher, status_store=DownStore())
    async with TestClient(TestServer(app)) as client:
        response = await client.post(f"/orders/{ORDER_ID}/cancel")

    assert response.status == 503
    assert response.headers["Retry-After"] == str(SETTINGS.retry_after_s)
    assert publisher.published == []


async def test_an_id_made_a_moment_ago_that_the_table_does_not_know_is_503_not_404(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    # An order accepted while Redis failed the front door's PENDING write: not "unknown".
    just_made = str(ULID())

    response = await client.post(f"/orders/{just_made}/cancel")

    assert response.status == 503
    assert response.headers["Retry-After"] == str(SETTINGS.retry_after_s)
    assert "not known yet" in (await response.json())["error"]
    assert publisher.published == []


def test_an_order_ids_time_is_its_ulids() -> None:
    made = ULID()

    assert issued_at(str(made)) == made.datetime
    assert issued_at(ORDER_ID) < datetime.now(UTC) - timedelta(seconds=JUST_PLACED_S)
