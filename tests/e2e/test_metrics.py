"""Every process of a real stack serves Prometheus metrics that follow what it did."""

import asyncio
import time
import urllib.request
from collections.abc import Callable

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.contracts.topics import Topics
from tests.e2e.conftest import StackFactory

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def eventually(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within}s: {what}"
        time.sleep(0.2)


async def place_and_finish(stack: LocalStack, count: int) -> list[str]:
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        placed = [await client.place(order_body([("M-1", 1, "1.00")])) for _ in range(count)]
        for order in placed:
            await client.wait_terminal(order.order_id, within=60)
    return [order.order_id for order in placed]


def test_services_and_workers_serve_their_metrics(stack_factory: StackFactory) -> None:
    stack = stack_factory(workers=2)
    asyncio.run(set_stock(stack.settings, {"M-1": 100}))
    order_ids = asyncio.run(place_and_finish(stack, 5))

    front = scrape(f"{stack.producer_url}/metrics")
    accepted = {"method": "POST", "route": "/orders", "status": "202"}
    assert value(front, "orderflow_http_requests_total", **accepted) == 5
    assert value(front, "orderflow_http_request_duration_seconds_count", **accepted) == 5
    assert ("orderflow_producer_queue_depth", frozenset()) in front

    urllib.request.urlopen(f"{stack.status_url}/orders/{order_ids[0].lower()}", timeout=10)
    status = scrape(f"{stack.status_url}/metrics")
    # Labelled by route, not by the path asked for: one series for every order id.
    found = {"method": "GET", "route": "/orders/{order_id}", "status": "200"}
    assert value(status, "orderflow_http_requests_total", **found) >= 6
    assert not [key for key in status if any(order_ids[0] in v for _, v in key[1])]

    urls = stack.worker_metrics_urls
    assert sorted(urls) == ["worker-1", "worker-2"]
    projected = {"stage": "projection", "outcome": "handled"}
    counts = [
        value(scrape(url), "orderflow_stage_events_processed_total", **projected)
        for url in urls.values()
    ]
    assert sum(counts) >= 5 * 5  # PENDING, VALIDATED, RESERVED, PAID, COMPLETED for each
    eventually(lambda: lag_caught_up(stack), "consumer lag 0, one series per partition")


def lag_caught_up(stack: LocalStack) -> bool:
    """Each partition of the topics the workers read is reported by exactly one worker, and
    the group has committed everything on it."""
    topics = Topics.from_settings(stack.settings)
    expected = {
        topics.order_events.name: list(range(topics.order_events.partitions)),
        topics.stock.name: list(range(topics.stock.partitions)),
    }
    lags = [
        (dict(labels), lag)
        for url in stack.worker_metrics_urls.values()
        for (name, labels), lag in scrape(url).items()
        if name == "orderflow_consumer_lag"
    ]
    reported = {
        topic: sorted(int(labels["partition"]) for labels, _ in lags if labels["topic"] == topic)
        for topic in expected
    }
    return reported == expected and sum(lag for _, lag in lags) == 0
