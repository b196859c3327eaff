"""Read-your-writes: the front door records a new order PENDING before it answers 202."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from orders.contracts.codec import decode_order_event, encode
from orders.domain.events import OrderPlaced
from orders.domain.status import OrderStatus
from orders.errors import StoreUnavailable
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store.memory import InMemoryStatusStore
from orders.status_store.projection import status_change
from producer.api import new_order
from producer.app import create_app
from producer.idempotency import fingerprint
from producer.publisher import RecordingPublisher
from producer.schemas import PlaceOrder
from tests.unit.idempotency_helpers import Clock, CountingStore, an_order

SETTINGS = Settings(status_api_public_url="http://status.test:8081", record_pending_timeout_s=0.2)
KEY = "pending-key"


class DownStore(InMemoryStatusStore):
    async def apply(self, change: StatusChange) -> bool:
        raise StoreUnavailable("redis is down")


class HangingStore(InMemoryStatusStore):
    async def apply(self, change: StatusChange) -> bool:
        await asyncio.Event().wait()  # a Redis that never answers
        return False


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()  # offsets start at 0: every event gets the next one


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


def placed_event(publisher: RecordingPublisher, index: int) -> OrderPlaced:
    event = publisher.published[index].event
    assert isinstance(event, OrderPlaced)
    return event


async def test_an_accepted_order_is_pending_with_its_offset_as_version(
    client: TestClient[Any, Any], publisher: RecordingPublisher, store: InMemoryStatusStore
) -> None:
    await client.post("/orders", json=an_order())  # offset 0
    response = await client.post("/orders", json=an_order())  # offset 1

    assert response.status == 202
    order_id = (await response.json())["order_id"]
    view = await store.get(order_id)
    assert view is not None
    assert (view.status, view.version, view.customer_id) == (OrderStatus.PENDING, 1, "cust-1")
    assert view.total == placed_event(publisher, 1).total
    assert [(h.status, h.version) for h in view.history] == [(OrderStatus.PENDING, 1)]


async def test_the_projections_write_of_the_same_event_changes_nothing(
    client: TestClient[Any, Any], publisher: RecordingPublisher, store: InMemoryStatusStore
) -> None:
    order_id = (await (await client.post("/orders", json=an_order())).json())["order_id"]
    before = await store.get(order_id)
    # What the projection computes from the event it reads back from the log, at its offset.
    on_the_log = decode_order_event(encode(placed_event(publisher, 0)))
    change = status_change(on_the_log, offset=0)
    assert change is not None

    assert not await store.apply(change)
    assert await store.get(order_id) == before


async def test_later_statuses_supersede_the_front_doors_pending(
    client: TestClient[Any, Any], publisher: RecordingPublisher, store: InMemoryStatusStore
) -> None:
    order_id = (await (await client.post("/orders", json=an_order())).json())["order_id"]
    placed = placed_event(publisher, 0)
    validated = StatusChange(
        order_id=order_id, status=OrderStatus.VALIDATED, version=7, at=placed.occurred_at
    )

    assert await store.apply(validated)
    view = await store.get(order_id)
    assert view is not None
    assert [h.status for h in view.history] == [OrderStatus.PENDING, OrderStatus.VALIDATED]


@pytest.mark.parametrize("broken", [DownStore, HangingStore])
async def test_a_failed_pending_write_still_answers_202_and_is_counted(
    publisher: RecordingPublisher, broken: type[InMemoryStatusStore]
) -> None:
    app = create_app(SETTINGS, publisher=publisher, status_store=broken())
    async with TestClient(TestServer(app)) as client:
        async with asyncio.timeout(SETTINGS.record_pending_timeout_s + 2):
            response = await client.post("/orders", json=an_order())
        metrics = await (await client.get("/metrics")).text()

    assert response.status == 202
    assert len(publisher.published) == 1
    assert "orderflow_producer_pending_write_failures_total 1.0" in metrics


async def test_a_cancel_right_after_the_202_is_accepted(
    client: TestClient[Any, Any], publisher: RecordingPublisher
) -> None:
    order_id = (await (await client.post("/orders", json=an_order())).json())["order_id"]

    response = await client.post(f"/orders/{order_id}/cancel")

    assert response.status == 202
    assert (await response.json())["status"] == "PENDING"
    assert [p.event.type for p in publisher.published] == [
        "OrderPlaced",
        "CancellationRequested",
    ]


async def test_an_event_published_again_for_a_retaken_key_is_left_to_the_projection(
    publisher: RecordingPublisher, store: InMemoryStatusStore
) -> None:
    # Its first publication may be on the log at an earlier offset, with the order's later
    # events after it: a PENDING at the new offset would hide them.
    clock = Clock()
    keys = CountingStore(ttl_s=86400, lease_s=SETTINGS.idempotency_lease_s, clock=clock)
    abandoned = new_order(PlaceOrder.model_validate(an_order()))
    await keys.claim(KEY, fingerprint(PlaceOrder.model_validate(an_order())), encode(abandoned))
    clock.now += SETTINGS.idempotency_lease_s + 0.1
    app = create_app(SETTINGS, publisher=publisher, idempotency=keys, status_store=store)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/orders", json=an_order(), headers={"Idempotency-Key": KEY})

    assert response.status == 202
    assert [p.event for p in publisher.published] == [abandoned]
    assert await store.get(abandoned.order_id) is None
