"""Reprocessing on the real processes: the plan names the right offsets, the rewind is refused
while workers run, and after a rewind the restarted workers re-read the log and change
nothing (statuses, histories, stock), though the stages did see every record again."""

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from orderflow.client import OrderflowClient, order_body
from orderflow.records import read_topic
from orderflow.stack import LocalStack
from orderflow.stock import read_stock, set_stock
from orders.contracts.topics import Topics
from orders.settings import Settings
from tests.e2e.conftest import StackFactory
from tests.e2e.faults import wait_caught_up
from tests.e2e.redrive_helpers import cli, cli_json, of_type, order_log, snapshot

ORDER_LOG_STAGES = [
    "dispatch", "validation", "reservation", "cancellation-intake", "payment", "fulfilment",
    "projection",
]  # fmt: skip


async def place_and_complete(client: OrderflowClient, sku: str, count: int) -> list[str]:
    placed = [await client.place(order_body([(sku, 1, "2.00")])) for _ in range(count)]
    for order in placed:
        assert (await client.wait_terminal(order.order_id, within=90))["status"] == "COMPLETED"
    return [order.order_id for order in placed]


def expected_plan(settings: Settings, since: datetime) -> dict[int, tuple[int, int]]:
    """(committed, new) per partition with records, from the log itself: everything was
    consumed, and the first record at or after `since` is where the group restarts."""
    since_ms = round(since.timestamp() * 1000)
    ends: dict[int, int] = {}
    firsts: dict[int, int] = {}
    for record in read_topic(settings, Topics.from_settings(settings).order_events.name):
        ends[record.partition] = record.offset + 1
        if record.timestamp_ms >= since_ms:
            firsts.setdefault(record.partition, record.offset)
    return {partition: (end, firsts.get(partition, end)) for partition, end in ends.items()}


def stop_workers(stack: LocalStack, within: float = 60) -> None:
    """Stop every worker and wait until the group has no members left."""
    for name in [n for n in stack.processes if n.startswith("worker-")]:
        stack.processes.pop(name).stop(timeout=30)
    admin = AdminClient({"bootstrap.servers": stack.settings.kafka_bootstrap_servers})
    group, until = stack.settings.worker_group, time.monotonic() + within
    empty = (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD)
    while admin.describe_consumer_groups([group])[group].result(10).state not in empty:
        assert time.monotonic() < until, "the workers' group still has members"
        time.sleep(0.2)


def payments(settings: Settings, order_id: str) -> list[dict[str, Any]]:
    return of_type(order_log(settings, order_id), "PaymentCaptured")


async def test_reprocess_plans_refuses_while_workers_run_and_replays_idempotently(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1)
    settings = stack.settings
    sku = f"{settings.topic_prefix}-P"
    await set_stock(settings, {sku: 10})
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        orders = await place_and_complete(client, sku, 2)
        await asyncio.to_thread(wait_caught_up, settings)
        since = datetime.now(UTC)
        orders += await place_and_complete(client, sku, 2)
        await asyncio.to_thread(wait_caught_up, settings)
        before = {o: snapshot(await client.order(o) or {}) for o in orders}

        # The plan, while the workers run: right offsets, every reader named, members shown.
        plan = cli_json(settings, "reprocess", "payment", "--from", since.isoformat(), "--dry-run")
        assert plan["stages"] == ORDER_LOG_STAGES
        assert plan["active_members"]
        expected = await asyncio.to_thread(expected_plan, settings, since)
        planned = {p["partition"]: p for p in plan["partitions"]}
        for partition, (end, new) in expected.items():
            assert planned[partition]["committed"] == end
            assert planned[partition]["new"] == (new if new < end else None)
            assert planned[partition]["reread"] == end - new
        assert plan["rereads"] == sum(end - new for end, new in expected.values()) > 0

        refused = cli(settings, "reprocess", "payment", "--from", "earliest")
        assert refused.exit_code == 1
        assert "stop the workers first" in refused.output
        assert "Traceback" not in refused.output

        await asyncio.to_thread(stop_workers, stack)
        for stage in ("payment", "inventory"):
            done = cli(settings, "reprocess", stage, "--from", "earliest")
            assert done.exit_code == 0, done.output
            assert "rewound: the workers re-read" in done.output
        rewound = cli_json(settings, "reprocess", "payment", "--from", "earliest", "--dry-run")
        assert rewound["rereads"] == 0  # committed offsets are at each partition's start now
        assert all(p["committed"] == 0 for p in rewound["partitions"] if p["committed"] is not None)

        stack.start_process("worker-1")
        await asyncio.to_thread(stack.wait_ready, 120)
        await asyncio.to_thread(wait_caught_up, settings)
        after = {o: snapshot(await client.order(o) or {}) for o in orders}
    assert after == before
    stock = (await asyncio.to_thread(read_stock, settings))[sku]
    assert (stock.on_hand, stock.held) == (10 - len(orders), {})
    for order_id in orders:
        captured = await asyncio.to_thread(payments, settings, order_id)
        assert len(captured) >= 2  # the payment stage saw its StockReserved again...
        assert len({e["payment_id"] for e in captured}) == 1  # ...and charged nobody twice
