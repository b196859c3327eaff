"""Helpers for the fault tests: load with bounded concurrency, waiting for terminal statuses,
and the checks that say nothing accepted was lost or done twice."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from orderflow.client import OrderflowClient, order_body
from orderflow.infra.ports import free_port
from orderflow.stack import LocalStack
from orders.domain.status import TERMINAL, OrderStatus, is_legal_path
from orders.domain.stock import SkuStock
from orders.settings import Settings
from tests.e2e.group import caught_up

REQUEST_DEADLINE_S = 30.0  # every HTTP request of these tests gives up after this
STALL_S = 20.0  # no order turned terminal for this long: ask whether the workers are idle
Line = tuple[str, int, str]  # (sku, quantity, unit price)


@dataclass(frozen=True)
class Planned:
    lines: list[Line]
    token: str = "tok_visa"


@dataclass
class Load:
    """POSTs every planned order, `concurrency` at a time and at most `per_second` (a steady
    flow keeps each order's stages close together in time); remembers what was accepted."""

    client: OrderflowClient
    plan: Sequence[Planned]
    concurrency: int = 32
    per_second: float = 1000.0
    accepted: dict[str, Planned] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # what answered other than 202, and why

    async def run(self) -> None:
        limit = asyncio.Semaphore(self.concurrency)
        start = time.monotonic()

        async def one(index: int, planned: Planned) -> None:
            await asyncio.sleep(max(0.0, start + index / self.per_second - time.monotonic()))
            async with limit:
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
    stack: LocalStack, plan: Sequence[Planned], per_second: float = 1000.0
) -> AsyncIterator[Running]:
    """Start placing `plan` in the background; the caller hurts the system meanwhile."""
    timeout = aiohttp.ClientTimeout(total=REQUEST_DEADLINE_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        load = Load(client, plan, per_second=per_second)
        task = asyncio.create_task(load.run())
        try:
            yield Running(load, Watch(client, stack.settings), task)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class Watch:
    """Polls the status API for a load's accepted orders and keeps the terminal ones."""

    client: OrderflowClient
    settings: Settings | None = None  # to tell a stall from slowness by the workers' lag
    final: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)

    async def until(self, load: Load, count: int, within: float) -> None:
        """Return once `count` accepted orders are terminal. Fail at the deadline, or sooner
        when nothing moved for STALL_S while the workers had nothing left to process (those
        orders will never move), naming the orders still open and where they stand."""
        deadline = time.monotonic() + within
        progress = (len(self.final), time.monotonic())
        while len(self.final) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._stuck(load, count, f"after {within}s"))
            await self._poll([o for o in list(load.accepted) if o not in self.final])
            if len(self.final) != progress[0]:
                progress = (len(self.final), time.monotonic())
            elif time.monotonic() - progress[1] > STALL_S and await self._idle():
                await self._poll([o for o in list(load.accepted) if o not in self.final])
                if len(self.final) < count:
                    raise AssertionError(self._stuck(load, count, "with the workers idle"))
            if len(self.final) < count:
                await asyncio.sleep(0.5)

    async def _idle(self) -> bool:
        return self.settings is not None and await asyncio.to_thread(caught_up, self.settings)

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

    def _stuck(self, load: Load, count: int, when: str) -> str:
        pending = [o for o in load.accepted if o not in self.final]
        stuck = Counter(self.last_seen.get(o, "404") for o in pending)
        return (
            f"{len(self.final)} of {count} orders terminal {when}; the others stand "
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


def stack_settings(
    kafka_bootstrap: str, prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings for a LocalStack of its own, like tests/e2e/conftest.py's, but with no
    redis_url: the stack starts (and owns) a Redis."""
    status_port = free_port()
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        redis_namespace=prefix,
        worker_group=f"{prefix}-workers",
        worker_data_dir=str(tmp_path_factory.mktemp("faust")),
        producer_port=free_port(),
        status_api_port=status_port,
        status_api_public_url=f"http://127.0.0.1:{status_port}",
    )


def agent_crashes(log_dir: Path) -> list[str]:
    """Faust agent crashes in the workers' logs. A crashed agent drops the event it was
    handling, so any crash can leave an order stuck."""
    return [
        f"{log.name}: {line[:300]}"
        for log in sorted(log_dir.glob("worker-*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if "Crashed reason=" in line
    ]
