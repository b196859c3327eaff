"""Helpers for the fault tests: load with bounded concurrency, waiting for terminal statuses,
and the checks that say nothing accepted was lost or done twice."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from orderflow.client import OrderflowClient, order_body
from orders.contracts.topics import Topics
from orders.domain.status import TERMINAL, OrderStatus, is_legal_path
from orders.domain.stock import SkuStock
from orders.settings import Settings

REQUEST_DEADLINE_S = 30.0  # every HTTP request of these tests gives up after this
Line = tuple[str, int, str]  # (sku, quantity, unit price)


@dataclass(frozen=True)
class Planned:
    lines: list[Line]
    token: str = "tok_visa"


def mixed_plan(p: str, count: int, seed: int) -> tuple[dict[str, int], list[Planned]]:
    """Initial stock and `count` orders: mostly paid, some declined, some short of stock."""
    rng = random.Random(seed)
    stock = {f"{p}-A": 5000, f"{p}-B": 5000, f"{p}-C": 5000, f"{p}-SCARCE": 40}
    plan = []
    for _ in range(count):
        lines = [(sku, rng.randint(1, 3), "1.00") for sku in rng.sample(sorted(stock)[:3], 2)]
        if rng.random() < 0.1:
            lines.append((f"{p}-SCARCE", 1, "2.00"))
        plan.append(Planned(lines, "tok_decline" if rng.random() < 0.1 else "tok_visa"))
    return stock, plan


@dataclass
class Load:
    """POSTs every planned order, `concurrency` at a time and at most `per_second` (a steady
    flow keeps each order's stages close together in time), until `stop()`; remembers what
    was sent and what was accepted."""

    client: OrderflowClient
    plan: Sequence[Planned]
    concurrency: int = 32
    per_second: float = 1000.0
    sent: int = 0  # POSTs made
    accepted: dict[str, Planned] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # what answered other than 202, and why
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        """Send no more orders; those sent already still get their answer."""
        self._stopping.set()

    async def run(self) -> None:
        limit = asyncio.Semaphore(self.concurrency)
        start = time.monotonic()

        async def one(index: int, planned: Planned) -> None:
            due = max(0.0, start + index / self.per_second - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), due)
            async with limit:
                if self._stopping.is_set():
                    return
                self.sent += 1
                try:
                    placed = await self.client.place(order_body(planned.lines, planned.token))
                except (RuntimeError, aiohttp.ClientError, TimeoutError) as e:
                    self.refused.append(repr(e))
                    return
                self.accepted[placed.order_id] = planned

        await asyncio.gather(*(one(i, p) for i, p in enumerate(self.plan)))


@dataclass
class Running:
    load: Load
    watch: Watch
    placing: asyncio.Task[None]

    async def all_terminal(self, within: float = 180.0) -> dict[str, dict[str, Any]]:
        return await self.watch.all_terminal(self.load, self.placing, within)


@asynccontextmanager
async def placing(
    producer_url: str, status_url: str, plan: Sequence[Planned], per_second: float = 1000.0
) -> AsyncIterator[Running]:
    """Start placing `plan` in the background; the caller hurts the system meanwhile."""
    timeout = aiohttp.ClientTimeout(total=REQUEST_DEADLINE_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = OrderflowClient(session, producer_url, status_url)
        load = Load(client, plan, per_second=per_second)
        task = asyncio.create_task(load.run())
        try:
            yield Running(load, Watch(client), task)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class Watch:
    """Polls the status API for a load's accepted orders and keeps the terminal ones."""

    client: OrderflowClient
    final: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)

    async def until(self, load: Load, count: int, within: float) -> None:
        """Return once `count` accepted orders are terminal; fail at the deadline naming the
        orders still open and where they stand."""
        deadline = time.monotonic() + within
        while len(self.final) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._stuck(load, count, within))
            await self._poll([o for o in list(load.accepted) if o not in self.final])
            if len(self.final) < count:
                await asyncio.sleep(0.5)

    async def all_terminal(
        self, load: Load, placing: asyncio.Task[None], within: float = 180.0
    ) -> dict[str, dict[str, Any]]:
        """Wait for the load to be placed, then for every accepted order to be terminal."""
        await placing
        await self.until(load, len(load.accepted), within)
        return {order_id: self.final[order_id] for order_id in load.accepted}

    async def _poll(self, order_ids: list[str]) -> None:
        limit = asyncio.Semaphore(16)

        async def look(order_id: str) -> None:
            async with limit:
                order = await _order_or_none(self.client, order_id)
            if order is not None:
                self.last_seen[order_id] = order["status"]
                if OrderStatus(order["status"]) in TERMINAL:
                    self.final[order_id] = order

        await asyncio.gather(*(look(order_id) for order_id in order_ids))

    def _stuck(self, load: Load, count: int, within: float) -> str:
        pending = [o for o in load.accepted if o not in self.final]
        stuck = Counter(self.last_seen.get(o, "404") for o in pending)
        return (
            f"{len(self.final)} of {count} orders terminal after {within}s; the others stand "
            f"at {dict(stuck)}, e.g. {sorted(pending)[:5]}"
        )


async def _order_or_none(client: OrderflowClient, order_id: str) -> dict[str, Any] | None:
    """The order, or None when the status API cannot say yet (404, or 503 while Redis is down)."""
    try:
        return await client.order(order_id)
    except aiohttp.ClientResponseError as e:
        if e.status == 503:
            return None
        raise


def history_problems(final: dict[str, dict[str, Any]]) -> list[str]:
    """Orders whose history is not one legal path from PENDING to exactly one terminal entry."""
    problems = []
    for order_id, order in final.items():
        path = [OrderStatus(entry["status"]) for entry in order["history"]]
        terminal = [status for status in path if status in TERMINAL]
        if not is_legal_path(path) or len(terminal) != 1 or path[-1] != order["status"]:
            problems.append(f"{order_id}: {order['status']} via {[str(s) for s in path]}")
    return problems


def expected_on_hand(
    initial: dict[str, int], accepted: dict[str, Planned], final: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Initial stock minus the units of every COMPLETED order, per SKU."""
    on_hand = dict(initial)
    for order_id, planned in accepted.items():
        if final[order_id]["status"] == OrderStatus.COMPLETED:
            for sku, quantity, _ in planned.lines:
                on_hand[sku] -= quantity
    return on_hand


def stock_problems(expected: dict[str, int], stock: dict[str, SkuStock]) -> list[str]:
    """SKUs whose final stock is off: wrong units on hand, holds left over, or below zero."""
    problems = []
    for sku, units in sorted(expected.items()):
        actual = stock.get(sku)
        if actual is None:
            problems.append(f"{sku}: not in the stock table")
        elif actual.on_hand != units or actual.held or actual.on_hand < 0:
            held = sum(actual.held.values())
            problems.append(
                f"{sku}: on_hand {actual.on_hand} (expected {units}), "
                f"{len(actual.held)} holds of {held} units"
            )
    return problems


def agent_crashes(log_dir: Path) -> list[str]:
    """Faust agent crashes, or the direct runtime stopping on a record, in the workers' logs.
    A crashed agent drops the event it was handling, so any crash can leave an order stuck."""
    return [
        f"{log.name}: {line[:300]}"
        for log in sorted(log_dir.glob("worker-*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if "Crashed reason=" in line or "work failed or effects not stored" in line
    ]


def wait_caught_up(settings: Settings, within: float = 120.0) -> None:
    """Block until the workers' group has committed every offset of the topics it reads:
    then everything sent has been processed, and the stock table holds its final state.
    (Not the dead-letter topic: no worker reads it, so its offsets are never committed.)"""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    topics = Topics.from_settings(settings)
    partitions = [
        TopicPartition(spec.name, p)
        for spec in (topics.order_events, topics.stock)
        for p in range(spec.partitions)
    ]
    deadline = time.monotonic() + within
    while True:
        lag = _lag(admin, settings.worker_group, partitions)
        if not lag:
            return
        assert time.monotonic() < deadline, f"workers still behind after {within}s: {lag}"
        time.sleep(0.5)


def wait_group_members(settings: Settings, count: int, within: float = 120.0) -> None:
    """Block until the workers' group is Stable with `count` members (a rebalance is over)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    group, deadline = settings.worker_group, time.monotonic() + within
    while True:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        if described.state == ConsumerGroupState.STABLE and len(described.members) == count:
            return
        assert time.monotonic() < deadline, f"group {described.state} with {described.members}"
        time.sleep(0.2)


def _lag(admin: AdminClient, group: str, partitions: list[TopicPartition]) -> dict[str, int]:
    request = ConsumerGroupTopicPartitions(group, partitions)
    listed = admin.list_consumer_group_offsets([request])[group].result(timeout=10)
    committed = {(tp.topic, tp.partition): tp.offset for tp in listed.topic_partitions}
    ends = _end_offsets(admin, partitions)
    lag = {}
    for key, end in ends.items():
        behind = end - max(committed.get(key, 0), 0)
        if behind > 0:
            lag[f"{key[0]}[{key[1]}]"] = behind
    return lag


def _end_offsets(
    admin: AdminClient, partitions: list[TopicPartition]
) -> dict[tuple[str, int], int]:
    request = {tp: OffsetSpec.latest() for tp in partitions}
    futures = admin.list_offsets(request)
    return {(tp.topic, tp.partition): f.result(timeout=10).offset for tp, f in futures.items()}
