"""The operator's dashboard on the real stack: consumer lag grows while the workers are
stopped and falls to zero once they catch up; the group's members hold every partition once;
the stages' throughput counts the orders (issue #5)."""

from collections import Counter

import aiohttp
import pytest

from orderflow.client import OrderflowClient, order_body
from orderflow.stock import set_stock
from tests.e2e.conftest import StackFactory
from tests.e2e.dashboard_helpers import (
    caught_up,
    start_workers,
    stop_workers,
    topic_lag,
    until,
)

pytestmark = pytest.mark.timeout(600)
ORDERS = 12


async def test_lag_while_workers_are_stopped_and_none_after_they_catch_up(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=2)
    p = stack.settings.topic_prefix
    orders_topic, consumed = f"{p}.order-events", {f"{p}.order-events": 6, f"{p}.stock": 6}
    sku = f"{p}-DASH"
    await set_stock(stack.settings, {sku: 1000})
    body = order_body([(sku, 1, "2.50")])
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        client = OrderflowClient(http, stack.producer_url, stack.status_url)
        first = (await client.place(body)).order_id
        await client.wait_terminal(first, within=120, interval=0.1)
        await until(http, stack, lambda b: caught_up(b, 2), 120, "the group caught up")

        names = await stop_workers(stack)
        placed = [(await client.place(body)).order_id for _ in range(ORDERS)]
        lagging = await until(
            http, stack, lambda b: topic_lag(b, orders_topic) >= ORDERS, 60, "the new orders' lag"
        )
        assert lagging["kafka"]["available"]
        assert lagging["kafka"]["workers"] == []  # nobody in the group

        await start_workers(stack, names)
        for order_id in placed:
            await client.wait_terminal(order_id, within=180, interval=0.2)
        done = await until(http, stack, lambda b: caught_up(b, 2), 180, "zero lag again")

    members = done["kafka"]["workers"]
    assert sorted(m["client_id"] for m in members) == ["orderflow-worker-1", "orderflow-worker-2"]
    owners = Counter(
        (a["topic"], partition)
        for m in members
        for a in m["assigned"]
        for partition in a["partitions"]
    )
    every = {(topic, n) for topic, count in consumed.items() for n in range(count)}
    assert set(owners) == every  # every partition of the group's topics has a worker...
    assert set(owners.values()) == {1}  # ...and only one
    stages = {item["stage"]: item for item in done["stages"]["items"]}
    assert sum(stages["validation"]["series"]) >= ORDERS + 1
    assert sum(stages["fulfilment"]["series"]) >= ORDERS + 1
    assert done["kafka"]["dead_letters"]["depth"] == 0
