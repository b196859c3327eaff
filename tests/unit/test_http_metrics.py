"""Request metrics and /metrics on both HTTP services (in-memory store, recording publisher)."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from orders import http_metrics
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from producer.app import create_app as front_door
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.publisher import RecordingPublisher
from status_api.app import create_app as status_api
from tests.unit.idempotency_helpers import an_order

SETTINGS = Settings.model_validate({})
ORDER_IDS = ("01JD3Q7ZK5V9W8X2Y4N6M0P1RT", "01JD3Q7ZK5V9W8X2Y4N6M0P1RV")

Client = TestClient[web.Request, web.Application]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(await response.text())
        for s in family.samples
    }


def requests(samples: Samples, method: str, route: str, status: int) -> float:
    labels = frozenset({"method": method, "route": route, "status": str(status)}.items())
    return samples.get(("orderflow_http_requests_total", labels), 0.0)


@pytest.fixture
async def status_client() -> AsyncIterator[Client]:
    async with TestClient(TestServer(status_api(SETTINGS, InMemoryStatusStore()))) as client:
        yield client


async def test_requests_are_labelled_by_route_not_by_path(status_client: Client) -> None:
    for order_id in ORDER_IDS:
        assert (await status_client.get(f"/orders/{order_id}")).status == 404
    assert (await status_client.get("/no/such/path")).status == 404
    assert (await status_client.post("/orders/x")).status == 405
    assert (await status_client.request("PROPFIND", "/healthz")).status == 405

    samples = await scrape(status_client)

    assert requests(samples, "GET", "/orders/{order_id}", 404) == 2
    assert requests(samples, "GET", "unmatched", 404) == 1
    assert requests(samples, "POST", "unmatched", 405) == 1
    assert requests(samples, "OTHER", "unmatched", 405) == 1  # unknown methods are folded
    assert not [key for key in samples if any(ORDER_IDS[0] in v for _, v in key[1])]
    timed = frozenset({"method": "GET", "route": "/orders/{order_id}", "status": "404"}.items())
    assert samples[("orderflow_http_request_duration_seconds_count", timed)] == 2


async def test_each_app_has_its_own_registry(status_client: Client) -> None:
    # A second app in the same process: no duplicate registration, no shared counts.
    async with TestClient(TestServer(status_api(SETTINGS, InMemoryStatusStore()))) as other:
        await other.get("/healthz")
        await status_client.get("/healthz")
        await status_client.get("/healthz")

        assert requests(await scrape(other), "GET", "/healthz", 200) == 1
        assert requests(await scrape(status_client), "GET", "/healthz", 200) == 2


class QueuedPublisher(RecordingPublisher):
    def queue_depth(self) -> int:
        return 7


@pytest.mark.parametrize(
    ("publisher", "depth"), [(RecordingPublisher(), 0.0), (QueuedPublisher(), 7.0)]
)
async def test_front_door_counts_orders_and_reports_its_producer_queue(
    publisher: RecordingPublisher, depth: float
) -> None:
    keys = InMemoryIdempotencyStore(ttl_s=60, lease_s=10)
    app = front_door(SETTINGS, publisher, keys, InMemoryStatusStore())
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/orders", json=an_order())).status == 202
        assert (await client.post("/orders", data=b"{")).status == 415

        samples = await scrape(client)

    assert requests(samples, "POST", "/orders", 202) == 1
    assert requests(samples, "POST", "/orders", 415) == 1
    assert samples[("orderflow_producer_queue_depth", frozenset())] == depth


async def test_a_request_cancelled_before_its_answer_counts_as_499() -> None:
    async def cancelled(_request: web.Request) -> web.Response:
        raise asyncio.CancelledError  # what shutdown does to a request still running

    app = web.Application()
    app.router.add_get("/slow", cancelled)
    http_metrics.install(app)
    async with TestClient(TestServer(app)) as client:
        with pytest.raises(aiohttp.ClientError):
            await client.get("/slow")

        assert requests(await scrape(client), "GET", "/slow", 499) == 1
