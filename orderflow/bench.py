"""`orderflow bench`: rounds of N orders over HTTP against a running stack; throughput, latency
and (orderflow/cpu.py) the CPU each process spent per order.

A benchmark, not a test: the figures depend on the machine and what else it is doing.
"""

import asyncio
import os
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from orderflow.client import OrderflowClient, auth_headers, order_body
from orderflow.cpu import CpuShare, Sampler, total

CLIENT = "bench-client"  # this process: sampled too, but not part of the stack's total
TOTAL = "total"
WITHIN_S = 120.0  # how long one order may take to reach a terminal status
MAX_WARMUP = 200


@dataclass(frozen=True)
class WaitMode:
    """How the client learns that an order is terminal: polling GET /orders/{id} every
    `poll_s` seconds, or long-polling it (`?wait=` with `since_version`)."""

    long_poll: bool = False
    poll_s: float = 0.05

    def describe(self) -> str:
        return "long-poll" if self.long_poll else f"poll every {self.poll_s * 1000:g} ms"


@dataclass(frozen=True)
class BenchPlan:
    orders: int  # per round
    concurrency: int
    runs: int = 1
    mode: WaitMode = WaitMode()
    token: str | None = field(default=None, repr=False)  # bearer token (auth on): a staff one

    @property
    def warmup_orders(self) -> int:
        return min(MAX_WARMUP, self.orders)

    @property
    def stock_needed(self) -> int:
        return self.warmup_orders + self.runs * self.orders


@dataclass
class RoundResult:
    orders: int
    seconds: float
    orders_per_s: float
    accept_p50_ms: float  # POST /orders until 202 (the broker acknowledged)
    accept_p99_ms: float
    e2e_p50_ms: float  # POST /orders until the client saw a terminal status
    e2e_p95_ms: float
    e2e_p99_ms: float
    statuses: dict[str, int]
    cpu: dict[str, CpuShare] = field(default_factory=dict)  # by process, and TOTAL


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _wait_terminal(client: OrderflowClient, order_id: str, mode: WaitMode) -> str:
    if mode.long_poll:
        order = await client.watch_terminal(order_id, within=WITHIN_S)
    else:
        order = await client.wait_terminal(order_id, within=WITHIN_S, interval=mode.poll_s)
    return str(order["status"])


async def _one(client: OrderflowClient, sku: str, mode: WaitMode) -> tuple[float, float, str]:
    start = time.perf_counter()
    placed = await client.place(order_body([(sku, 1, "1.00")], customer="bench"))
    accepted = time.perf_counter()
    status = await _wait_terminal(client, placed.order_id, mode)
    done = time.perf_counter()
    return (accepted - start) * 1000, (done - start) * 1000, status


async def run_round(
    producer_url: str, status_url: str, orders: int, plan: BenchPlan, sku: str
) -> RoundResult:
    """Post `orders` orders, `plan.concurrency` at a time, each followed to a terminal status.
    The SKU must have the units in stock (the caller sets that up)."""
    limit = asyncio.Semaphore(plan.concurrency)
    connector = aiohttp.TCPConnector(limit=plan.concurrency * 2)
    async with aiohttp.ClientSession(
        connector=connector, headers=auth_headers(plan.token)
    ) as session:
        client = OrderflowClient(session, producer_url, status_url)

        async def bounded() -> tuple[float, float, str]:
            async with limit:
                return await _one(client, sku, plan.mode)

        start = time.perf_counter()
        results = await asyncio.gather(*(bounded() for _ in range(orders)))
        seconds = time.perf_counter() - start
    return _summary(results, seconds)


def _summary(results: list[tuple[float, float, str]], seconds: float) -> RoundResult:
    accept = [r[0] for r in results]
    e2e = [r[1] for r in results]
    statuses: dict[str, int] = {}
    for _, _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return RoundResult(
        orders=len(results),
        seconds=round(seconds, 3),
        orders_per_s=round(len(results) / seconds, 1),
        accept_p50_ms=round(statistics.median(accept), 1),
        accept_p99_ms=round(percentile(accept, 99), 1),
        e2e_p50_ms=round(statistics.median(e2e), 1),
        e2e_p95_ms=round(percentile(e2e, 95), 1),
        e2e_p99_ms=round(percentile(e2e, 99), 1),
        statuses=statuses,
    )


async def run_rounds(
    producer_url: str, status_url: str, plan: BenchPlan, sku: str, pids: Mapping[str, int]
) -> list[RoundResult]:
    """One warm-up round (not returned), then `plan.runs` measured rounds; with `pids`, each
    measured round also gets the CPU of those processes and of this one (CLIENT)."""
    sampler = Sampler({**pids, CLIENT: os.getpid()}) if pids else None
    await run_round(producer_url, status_url, plan.warmup_orders, plan, sku)
    rounds = []
    for _ in range(plan.runs):
        before = sampler.snapshot() if sampler is not None else None
        result = await run_round(producer_url, status_url, plan.orders, plan, sku)
        if sampler is not None and before is not None:
            shares = sampler.usage_since(before, plan.orders)
            result.cpu = {**shares, TOTAL: total(shares, leave_out=frozenset({CLIENT}))}
        rounds.append(result)
    return rounds
