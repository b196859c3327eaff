"""POST /orders with an Idempotency-Key, on the in-memory key store and a recording publisher."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from orders.contracts.codec import encode
from orders.errors import BrokerUnavailable
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from producer.api import new_order
from producer.app import create_app
from producer.idempotency import StoredResponse, fingerprint
from producer.schemas import PlaceOrder
from tests.unit.idempotency_helpers import (
    Clock,
    CountingStore,
    DownStore,
    GatedPublisher,
    an_order,
    until,
)

SETTINGS = Settings(
    status_api_public_url="http://status.test:8081",
    publish_timeout_s=0.1,
    idempotency_lease_s=1.2,  # how long a request waits for another holding its key
)
KEY = "3f1c9a7e-order-key"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> CountingStore:
    return CountingStore(ttl_s=86400, lease_s=SETTINGS.idempotency_lease_s, clock=clock)


@pytest.fixture
def publisher() -> GatedPublisher:
    return GatedPublisher()


@pytest.fixture
async def client(
    publisher: GatedPublisher, store: CountingStore
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(
        SETTINGS, publisher=publisher, status_store=InMemoryStatusStore(), idempotency=store
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def post(client: TestClient[Any, Any], order: Any, key: str = KEY) -> tuple[int, Any, Any]:
    response = await client.post("/orders", json=order, headers={"Idempotency-Key": key})
    return response.status, await response.json(), response.headers


async def test_the_same_key_and_body_get_the_same_answer_and_one_order(
    client: TestClient[Any, Any], publisher: GatedPublisher
) -> None:
    first = await post(client, an_order())
    second = await post(client, an_order())

    assert first[0] == second[0] == 202
    assert first[1] == second[1]
    assert first[2]["Location"] == second[2]["Location"] == first[1]["status_url"]
    assert "Idempotent-Replayed" not in first[2]
    assert second[2]["Idempotent-Replayed"] == "true"
    assert [p.key for p in publisher.published] == [first[1]["order_id"]]


async def test_the_body_is_compared_by_meaning_not_spelling(
    client: TestClient[Any, Any], publisher: GatedPublisher
) -> None:
    order = an_order()
    respelled = {k: order[k] for k in reversed(order)}
    respelled["items"] = [{**order["items"][0], "unit_price": "19.990"}, order["items"][1]]
    raw = json.dumps(respelled, indent=4).encode()

    first = await post(client, order)
    response = await client.post(
        "/orders",
        data=raw,
        headers={"Idempotency-Key": KEY, "Content-Type": "application/json"},
    )

    assert response.status == 202
    assert await response.json() == first[1]
    assert len(publisher.published) == 1


async def test_the_same_key_with_another_body_is_422(
    client: TestClient[Any, Any], publisher: GatedPublisher
) -> None:
    assert (await post(client, an_order()))[0] == 202

    status, body, _ = await post(client, an_order(customer_id="someone-else"))

    assert status == 422
    assert "already used with a different request body" in body["error"]
    assert len(publisher.published) == 1


async def test_concurrent_identical_requests_publish_once(
    client: TestClient[Any, Any], publisher: GatedPublisher, store: CountingStore
) -> None:
    publisher.gate.clear()
    requests = [asyncio.create_task(post(client, an_order())) for _ in range(20)]
    await until(lambda: store.claims >= 20)  # every request has seen the key held by the first
    publisher.gate.set()

    answers = await asyncio.gather(*requests)

    assert {status for status, _, _ in answers} == {202}
    assert len({json.dumps(body) for _, body, _ in answers}) == 1
    assert len(publisher.attempts) == len(publisher.published) == 1


async def test_a_retry_after_a_failed_publish_reuses_the_order_id(
    client: TestClient[Any, Any], publisher: GatedPublisher
) -> None:
    publisher.fail_with = BrokerUnavailable("no broker")
    failed = await post(client, an_order())
    publisher.fail_with = None

    status, body, _ = await post(client, an_order())  # at once: the lease was let go

    assert failed[0] == 503
    assert failed[2]["Retry-After"] == str(SETTINGS.retry_after_s)
    assert status == 202
    [attempt, *_] = publisher.attempts
    assert body["order_id"] == attempt.order_id  # type: ignore[attr-defined]
    assert [p.event for p in publisher.published] == [attempt]  # same event id too


async def test_an_abandoned_key_is_taken_over_with_its_stored_event(
    client: TestClient[Any, Any], publisher: GatedPublisher, store: CountingStore, clock: Clock
) -> None:
    # A front door claimed the key (and maybe published), then crashed before marking it done.
    abandoned = new_order(PlaceOrder.model_validate(an_order()))
    await store.claim(KEY, fingerprint(PlaceOrder.model_validate(an_order())), encode(abandoned))
    clock.now += SETTINGS.idempotency_lease_s + 0.1

    status, body, _ = await post(client, an_order())

    assert status == 202
    assert body["order_id"] == abandoned.order_id
    assert [p.event for p in publisher.published] == [abandoned]


async def test_a_request_waits_for_the_holder_and_replays_its_answer(
    client: TestClient[Any, Any], publisher: GatedPublisher, store: CountingStore
) -> None:
    held = new_order(PlaceOrder.model_validate(an_order()))
    body_print = fingerprint(PlaceOrder.model_validate(an_order()))
    await store.claim(KEY, body_print, encode(held))
    waiting = asyncio.create_task(post(client, an_order()))
    await until(lambda: store.claims >= 2)  # the request is waiting for the key

    answer = StoredResponse(202, {"order_id": held.order_id}, {"Location": "x"})
    await store.complete(KEY, body_print, answer)
    status, body, headers = await waiting

    assert (status, body, headers["Idempotent-Replayed"]) == (202, answer.body, "true")
    assert publisher.attempts == []


async def test_a_key_held_too_long_is_503(
    client: TestClient[Any, Any], publisher: GatedPublisher, store: CountingStore
) -> None:
    held = new_order(PlaceOrder.model_validate(an_order()))
    await store.claim(KEY, fingerprint(PlaceOrder.model_validate(an_order())), encode(held))

    status, body, headers = await post(client, an_order())  # the store's clock never moves

    assert status == 503
    assert "still being processed" in body["error"]
    assert headers["Retry-After"] == str(SETTINGS.retry_after_s)
    assert publisher.attempts == []


@pytest.mark.parametrize(
    "key",
    ["", "has space", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["empty", "space", "too long", "control", "not ascii"],
)
async def test_a_malformed_key_is_400(
    client: TestClient[Any, Any], publisher: GatedPublisher, key: str
) -> None:
    response = await client.post(
        "/orders", data=json.dumps(an_order()).encode(), headers=_raw_headers(key)
    )

    assert response.status == 400
    assert "Idempotency-Key" in (await response.json())["error"]
    assert publisher.attempts == []


def _raw_headers(key: str) -> CIMultiDict[str]:
    return CIMultiDict({"Content-Type": "application/json", "Idempotency-Key": key})


async def test_two_key_headers_are_400(client: TestClient[Any, Any]) -> None:
    headers = CIMultiDict([("Idempotency-Key", "a"), ("Idempotency-Key", "b")])

    response = await client.post("/orders", json=an_order(), headers=headers)

    assert response.status == 400


async def test_the_longest_key_is_accepted(client: TestClient[Any, Any]) -> None:
    assert (await post(client, an_order(), key="k" * 255))[0] == 202


async def test_an_unreachable_key_store_is_503_and_nothing_is_published(
    publisher: GatedPublisher,
) -> None:
    app = create_app(
        SETTINGS, publisher=publisher, status_store=InMemoryStatusStore(), idempotency=DownStore()
    )
    async with TestClient(TestServer(app)) as client:
        status, body, headers = await post(client, an_order())
        without_key = await client.post("/orders", json=an_order())

    assert status == 503
    assert headers["Retry-After"] == str(SETTINGS.retry_after_s)
    assert body["error"]
    assert without_key.status == 202  # requests without a key never touch the store
    assert len(publisher.attempts) == 1


async def test_an_order_on_the_log_is_accepted_even_if_its_key_is_not_marked_done(
    publisher: GatedPublisher, store: CountingStore
) -> None:
    app = create_app(
        SETTINGS,
        publisher=publisher,
        status_store=InMemoryStatusStore(),
        idempotency=DownStore(working=store),
    )
    async with TestClient(TestServer(app)) as client:
        status, body, _ = await post(client, an_order())

    assert status == 202
    assert [p.key for p in publisher.published] == [body["order_id"]]


def test_fingerprint_ignores_spelling_but_not_meaning() -> None:
    order = PlaceOrder.model_validate(an_order())
    same = PlaceOrder.model_validate({**an_order(), "items": [
        {"sku": "SKU-1", "quantity": 2, "unit_price": "19.990"},
        {"unit_price": 5, "sku": "SKU-2", "quantity": 1},
    ]})  # fmt: skip
    other = PlaceOrder.model_validate(an_order(payment_token="tok_other"))

    assert fingerprint(order) == fingerprint(same)
    assert fingerprint(order) != fingerprint(other)
