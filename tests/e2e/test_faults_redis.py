"""Redis stops under load and comes back: the status API says 503 (never 500) meanwhile, and
every accepted order still completes. The stack starts its own Redis, so stopping it hurts
no other test."""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from orderflow.infra.redis import LocalRedis
from orderflow.stack import LocalStack
from orderflow.stock import read_stock, set_stock
from tests.e2e.faults import (
    Planned,
    Running,
    Watch,
    agent_crashes,
    expected_on_hand,
    history_problems,
    placing,
    stack_settings,
    stock_problems,
)
from tests.e2e.group import wait_caught_up

pytestmark = pytest.mark.timeout(480)
OUTAGE_S = 4.0  # how long Redis stays down


@pytest.fixture
def own_redis_stack(
    kafka_bootstrap: str, unique_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    settings = stack_settings(kafka_bootstrap, unique_prefix, tmp_path_factory)
    assert "redis_url" not in settings.model_fields_set  # so the stack starts a Redis
    logs = tmp_path_factory.mktemp("logs")
    with LocalStack(settings, workers=2, log_dir=logs, fixed_ports=False) as running:
        yield running


async def watch_outage(running: Running, redis: LocalRedis) -> Counter[int]:
    """Stop Redis, keep asking the status API about accepted orders for OUTAGE_S, start
    Redis again; return the HTTP statuses seen while it was down."""
    session, status_url = running.watch.client.session, running.watch.client.status_url
    seen: Counter[int] = Counter()
    await asyncio.to_thread(redis.stop)
    until = time.monotonic() + OUTAGE_S
    while time.monotonic() < until:
        urls = [f"{status_url}/orders/{o}" for o in list(running.load.accepted)[-5:]]
        for url in [*urls, f"{status_url}/readyz"]:
            async with session.get(url) as response:
                seen[response.status] += 1
                body = await response.json()  # always JSON, even when it fails
                assert response.status == 200 or "error" in body or url.endswith("/readyz")
        await asyncio.sleep(0.1)
    await asyncio.to_thread(redis.restart)
    async with session.get(f"{status_url}/readyz") as response:
        assert response.status == 200, "status API not ready once Redis is back"
    return seen


async def test_redis_outage_under_load(own_redis_stack: LocalStack) -> None:
    stack = own_redis_stack
    assert stack.redis is not None
    sku = f"{stack.settings.topic_prefix}-A"
    await set_stock(stack.settings, {sku: 10_000})
    plan = [Planned([(sku, 1, "1.00")], "tok_visa") for _ in range(400)]

    async with placing(stack, plan, per_second=50) as running:
        await running.watch.until(running.load, 50, within=120)
        during = await watch_outage(running, stack.redis)
        assert stack.redis.url == stack.settings.redis_url  # the one the processes were given

        final = await running.all_terminal(within=180)

    assert during[503] > 0, during
    assert set(during) <= {503}, during  # never 500; and nothing read while Redis was down
    assert not running.load.refused, running.load.refused[:3]
    assert Counter(order["status"] for order in final.values()) == {"COMPLETED": 400}
    assert history_problems(final) == []
    assert agent_crashes(stack.log_dir) == []

    await asyncio.to_thread(wait_caught_up, stack.settings, 120)
    stock = await asyncio.to_thread(read_stock, stack.settings)
    expected = expected_on_hand({sku: 10_000}, running.load.accepted, final)
    assert stock_problems(expected, stock) == []


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="nothing rebuilds the status table from the event log: once Redis comes back "
    "without its data, orders accepted before stay 404 for good (the projection only creates "
    "an order from PENDING, and those PENDING events were committed already)",
)
async def test_redis_crash_that_loses_the_status_table(own_redis_stack: LocalStack) -> None:
    stack = own_redis_stack
    assert stack.redis is not None
    sku = f"{stack.settings.topic_prefix}-A"
    await set_stock(stack.settings, {sku: 1000})
    plan = [Planned([(sku, 1, "1.00")], "tok_visa") for _ in range(100)]

    async with placing(stack, plan, per_second=50) as running:
        await running.watch.until(running.load, 20, within=120)
        await asyncio.to_thread(stack.redis.kill)  # no snapshot was ever taken: all is lost
        await asyncio.to_thread(stack.redis.restart)

        after = Watch(running.watch.client, stack.settings)  # forget what was seen before the crash
        final = await after.all_terminal(running.load, running.placing, within=45)

    assert set(final) == set(running.load.accepted)
