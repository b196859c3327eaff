"""`orderflow bench`: N orders over HTTP against a running stack; throughput and latency.

A benchmark, not a test: the figures depend on the machine and what else it is doing.
"""

import asyncio
import statistics
import time
from dataclasses import asdict, dataclass

import aiohttp

from orderflow.client import OrderflowClient, order_body


@dataclass
class BenchResult:
    orders: int
    concurrency: int
    seconds: float
    orders_per_s: float
    accept_p50_ms: float  # POST /orders until 202 (the broker acknowledged)
    accept_p99_ms: float
    e2e_p50_ms: float  # POST /orders until a terminal status is readable
    e2e_p95_ms: float
    e2e_p99_ms: float
    statuses: dict[str, int]


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _one(client: OrderflowClient, sku: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    placed = await client.place(order_body([(sku, 1, "1.00")], customer="bench"))
    accepted = time.perf_counter()
    final = await client.wait_terminal(placed.order_id, within=120, interval=0.01)
    done = time.perf_counter()
    return (accepted - start) * 1000, (done - start) * 1000, final["status"]


async def run_bench(
    producer_url: str, status_url: str, orders: int, concurrency: int, sku: str
) -> BenchResult:
    """The SKU must have at least `orders` units in stock (the CLI sets that up)."""
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = OrderflowClient(session, producer_url, status_url)

        async def bounded() -> tuple[float, float, str]:
            async with limit:
                return await _one(client, sku)

        start = time.perf_counter()
        results = await asyncio.gather(*(bounded() for _ in range(orders)))
        seconds = time.perf_counter() - start
    accept = [r[0] for r in results]
    e2e = [r[1] for r in results]
    statuses: dict[str, int] = {}
    for _, _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return BenchResult(
        orders=orders,
        concurrency=concurrency,
        seconds=round(seconds, 3),
        orders_per_s=round(orders / seconds, 1),
        accept_p50_ms=round(statistics.median(accept), 1),
        accept_p99_ms=round(_percentile(accept, 99), 1),
        e2e_p50_ms=round(statistics.median(e2e), 1),
        e2e_p95_ms=round(_percentile(e2e, 95), 1),
        e2e_p99_ms=round(_percentile(e2e, 99), 1),
        statuses=statuses,
    )


def as_dict(result: BenchResult) -> dict[str, object]:
    return asdict(result)
