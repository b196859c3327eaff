"""The front door over HTTP, with a recording publisher instead of Kafka."""

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from orders.contracts.topics import Topics
from orders.domain.events import OrderPlaced
from orders.domain.lines import OrderLine
from orders.errors import BrokerUnavailable, PublishError
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from producer.app import create_app
from producer.publisher import RecordingPublisher
from tests.unit.idempotency_helpers import an_order

SETTINGS = Settings(status_api_public_url="http://status.test:8081")


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def client(publisher: RecordingPublisher) -> AsyncIterator[TestClient[Any, Any]]:
    # The client starts and stops the server it is given.
    async with TestClient(
        TestServer(create_app(SETTINGS, publisher=publisher, status_store=InMemoryStatusStore()))
    ) as client:
        yield client


async def test_accepted_order_is_published_once_then_answered_202(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    response = await client.post("/orders", json=an_order())

    assert response.status == 202
    body = await response.json()
    order_id = body["order_id"]
    status_url = f"http://status.test:8081/orders/{order_id}"
    assert body == {"order_id": order_id, "status": "PENDING", "status_url": status_url}
    assert response.headers["Location"] == status_url
    assert len(publisher.published) == 1
    published = publisher.published[0]
    assert published.topic == Topics.from_settings(SETTINGS).order_events.name
    assert published.key == order_id
    event = published.event
    assert isinstance(event, OrderPlaced)
    assert event.order_id == order_id
    assert event.total == Decimal("44.98")
    assert event.items == (
        OrderLine(sku="SKU-1", quantity=2, unit_price=Decimal("19.99")),
        OrderLine(sku="SKU-2", quantity=1, unit_price=Decimal("5.00")),
    )
    assert (event.customer_id, event.currency, event.payment_token) == (
        "cust-1",
        "USD",
        "tok_visa",
    )


async def test_each_order_gets_its_own_id(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    for _ in range(2):
        assert (await client.post("/orders", json=an_order())).status == 202
    assert len({p.key for p in publisher.published}) == 2


def _without_customer() -> dict[str, Any]:
    order = an_order()
    del order["customer_id"]
    return order


def _one_item(**item: Any) -> dict[str, Any]:
    return an_order(items=[{"sku": "SKU-1", "quantity": 1, "unit_price": "1.00", **item}])


async def test_json_numbers_are_taken_at_their_value(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    # 2.0 is the integer 2 in JSON (and in the OpenAPI document's JSON Schema).
    response = await client.post("/orders", json=_one_item(quantity=2.0, unit_price=5.5))

    assert response.status == 202
    event = publisher.published[0].event
    assert isinstance(event, OrderPlaced)
    assert event.items == (OrderLine(sku="SKU-1", quantity=2, unit_price=Decimal("5.5")),)


@pytest.mark.parametrize(
    ("order", "field"),
    [
        pytest.param(_without_customer(), "customer_id", id="missing field"),
        pytest.param(_one_item(quantity=0), "items.0.quantity", id="quantity 0"),
        pytest.param(_one_item(unit_price=-1), "items.0.unit_price", id="negative price"),
        pytest.param(_one_item(unit_price="1.005"), "items.0.unit_price", id="3 decimals str"),
        pytest.param(_one_item(unit_price=1.005), "items.0.unit_price", id="3 decimals number"),
        pytest.param(_one_item(sku="no spaces"), "items.0.sku", id="bad sku"),
        pytest.param(_one_item(colour="red"), "items.0.colour", id="extra item field"),
        pytest.param(an_order(currency="EUR"), "currency", id="wrong currency"),
        pytest.param(an_order(coupon="FREE"), "coupon", id="extra field"),
        pytest.param(an_order(items=[]), "items", id="empty items"),
        pytest.param(an_order(payment_token=""), "payment_token", id="empty token"),
        pytest.param(_one_item(quantity=10**9, unit_price="1000"), "items", id="total too large"),
        pytest.param(_one_item(quantity=10**9 + 1), "items.0.quantity", id="quantity too large"),
        pytest.param(_one_item(quantity=2.5), "items.0.quantity", id="fractional quantity"),
        pytest.param(_one_item(quantity="2"), "items.0.quantity", id="quantity as a string"),
        pytest.param(_one_item(unit_price=" 5.5"), "items.0.unit_price", id="price with a space"),
        pytest.param(_one_item(unit_price="1e2"), "items.0.unit_price", id="price with exponent"),
        pytest.param(_one_item(unit_price="1_000"), "items.0.unit_price", id="price with _"),
        pytest.param([an_order()], "body", id="not an object"),
    ],
)
async def test_invalid_order_is_422_naming_the_field(
    client: TestClient[Any, Any], publisher: RecordingPublisher, order: Any, field: str
) -> None:
    response = await client.post("/orders", json=order)

    assert response.status == 422
    body = await response.json()
    assert body["error"] == "invalid order"
    assert field in [f["field"] for f in body["fields"]]
    assert all(f["message"] for f in body["fields"])
    assert publisher.published == []


async def test_errors_do_not_echo_the_input(client: TestClient[Any, Any]) -> None:
    response = await client.post("/orders", json=an_order(payment_token=["tok_secret"]))

    assert response.status == 422
    assert "tok_secret" not in await response.text()


async def test_wrong_content_type_is_415(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    response = await client.post(
        "/orders", data=json.dumps(an_order()), headers={"Content-Type": "text/plain"}
    )

    assert response.status == 415
    body = await response.json()
    assert "application/json" in body["error"]
    assert publisher.published == []


async def test_oversized_body_is_413(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    huge = an_order(customer_id="x" * (SETTINGS.max_body_bytes + 1))

    response = await client.post("/orders", json=huge)

    assert response.status == 413
    assert "error" in await response.json()
    assert publisher.published == []


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'{"customer_id": NaN}', b"\xff\xfe\xfa", b"[" * 50_000],
    ids=["broken", "empty", "NaN", "not utf-8", "deep nesting"],
)
async def test_malformed_json_is_400(
    client: TestClient[Any, Any], publisher: RecordingPublisher, raw: bytes
) -> None:
    response = await client.post(
        "/orders", data=raw, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert response.status == 400
    assert "malformed JSON" in (await response.json())["error"]
    assert publisher.published == []


@pytest.mark.parametrize("error", [BrokerUnavailable("down"), PublishError("rejected")])
async def test_unacknowledged_publish_is_503_with_retry_after(
    client: TestClient[Any, Any], publisher: RecordingPublisher, error: PublishError
) -> None:
    publisher.fail_with = error

    response = await client.post("/orders", json=an_order())

    assert response.status == 503
    assert response.headers["Retry-After"] == str(SETTINGS.retry_after_s)
    body = await response.json()
    assert body["retry_after"] == SETTINGS.retry_after_s
    assert body["error"]
    assert publisher.published == []


async def test_unexpected_error_is_a_bare_json_500(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    publisher.fail_with = RuntimeError("boom: secret detail")

    response = await client.post("/orders", json=an_order())

    assert response.status == 500
    assert await response.json() == {"error": "internal error"}


async def test_aiohttp_errors_are_json(client: TestClient[Any, Any]) -> None:
    not_found = await client.get("/nowhere")
    wrong_method = await client.get("/orders")

    assert not_found.status == 404
    assert (await not_found.json())["error"] == "Not Found"
    assert wrong_method.status == 405
    assert "POST" in wrong_method.headers["Allow"]
    assert (await wrong_method.json())["error"] == "Method Not Allowed"


async def test_healthz(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")

    assert response.status == 200


@pytest.mark.parametrize(("is_ready", "status"), [(True, 200), (False, 503)])
async def test_readyz_follows_the_publisher(
    client: TestClient[Any, Any], publisher: RecordingPublisher, is_ready: bool, status: int
) -> None:
    publisher.is_ready = is_ready

    response = await client.get("/readyz")

    assert response.status == status


async def test_the_app_does_not_close_a_publisher_it_was_given(
    publisher: RecordingPublisher,
) -> None:
    async with TestServer(
        create_app(SETTINGS, publisher=publisher, status_store=InMemoryStatusStore())
    ):
        pass

    assert not publisher.closed


def test_publisher_partitions_keys_like_faust() -> None:
    # Faust/aiokafka place keys with murmur2; librdkafka's default (CRC32) would split an
    # order's events over partitions.
    from producer.kafka_publisher import producer_config

    assert producer_config(Settings())["partitioner"] == "murmur2_random"
