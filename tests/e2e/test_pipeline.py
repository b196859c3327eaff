"""200 orders with mixed outcomes through the real processes on real Kafka and Redis."""

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

import aiohttp
from confluent_kafka import Consumer

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.contracts.codec import decode_key, decode_order_event
from orders.contracts.topics import Topics
from orders.domain.status import OrderStatus, is_legal_path
from orders.settings import Settings


@dataclass(frozen=True)
class Case:
    count: int
    lines: list[tuple[str, int, str]]
    token: str
    expect: OrderStatus
    reason: str = ""  # a part of the reason the order must show


def cases(p: str) -> list[Case]:
    a, b, empty = f"{p}-A", f"{p}-B", f"{p}-EMPTY"
    return [
        Case(100, [(a, 1, "2.50"), (b, 2, "1.25")], "tok_visa", OrderStatus.COMPLETED),
        Case(20, [(f"{p}-NOPE", 1, "1.00")], "tok_visa", OrderStatus.REJECTED, "unknown SKU"),
        Case(20, [(a, 101, "1.00")], "tok_visa", OrderStatus.REJECTED, "over limit"),
        Case(
            30,
            [(a, 1, "2.50"), (empty, 1, "1.00")],
            "tok_visa",
            OrderStatus.OUT_OF_STOCK,
            f"{empty} (wanted 1, available 0)",
        ),
        Case(20, [(b, 1, "1.25")], "tok_decline", OrderStatus.PAYMENT_DECLINED, "card declined"),
        Case(10, [(b, 1, "1.25")], "tok_timeout", OrderStatus.PAYMENT_DECLINED, "timed out"),
    ]


async def place_all(stack: LocalStack, plan: list[Case]) -> dict[str, dict[str, object]]:
    """Place every order (16 at a time) and wait for each to reach a terminal status."""
    limit = asyncio.Semaphore(16)
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)

        async def one(case: Case) -> tuple[str, Case, dict[str, object]]:
            async with limit:
                placed = await client.place(order_body(case.lines, case.token))
            final = await client.wait_terminal(placed.order_id, within=120, interval=0.05)
            return placed.order_id, case, final

        results = await asyncio.gather(*(one(c) for c in plan for _ in range(c.count)))
    return {order_id: {"case": case, "final": final} for order_id, case, final in results}


def read_event_log(settings: Settings, expected_orders: set[str]) -> dict[str, set[int]]:
    """Partitions seen per order id, reading the event log with a plain Kafka consumer."""
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"{settings.topic_prefix}-reader",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })  # fmt: skip
    consumer.subscribe([Topics.from_settings(settings).order_events.name])
    partitions: dict[str, set[int]] = defaultdict(set)
    deadline = time.monotonic() + 60
    try:
        while not expected_orders <= set(partitions) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=1):
                assert message.error() is None, message.error()
                event = decode_order_event(message.value())
                assert decode_key(message.key()) == event.order_id  # keyed by order id
                partitions[event.order_id].add(message.partition())
    finally:
        consumer.close()
    return partitions


async def test_200_orders_reach_their_expected_terminal_state(stack: LocalStack) -> None:
    p = stack.settings.topic_prefix
    await set_stock(stack.settings, {f"{p}-A": 1000, f"{p}-B": 1000, f"{p}-EMPTY": 0})
    plan = cases(p)
    outcome = await place_all(stack, plan)

    assert len(outcome) == sum(c.count for c in plan) == 200
    for order_id, result in outcome.items():
        case, final = result["case"], result["final"]
        assert isinstance(case, Case)
        assert isinstance(final, dict)
        assert final["status"] == case.expect, (order_id, final)
        assert case.reason in str(final["reason"] or ""), (order_id, final)
        path = [OrderStatus(h["status"]) for h in final["history"]]
        assert is_legal_path(path), (order_id, path)
        assert path[-1] == case.expect

    partitions = await asyncio.to_thread(read_event_log, stack.settings, set(outcome))
    assert set(outcome) <= set(partitions)
    spread = {order_id: parts for order_id, parts in partitions.items() if len(parts) != 1}
    assert not spread, f"orders whose events span partitions: {spread}"
