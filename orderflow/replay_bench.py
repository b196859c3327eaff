"""`orderflow bench replay`: how fast `orderflow replay` rebuilds the status table.

Publishes N synthetic orders of five events each (placed, validated, reserved, paid, completed)
to a topic prefix and Redis namespace of its own, rebuilds a table from them a few times and
reports the median events/s. A benchmark, not a test: the machine is shared and noisy.
"""

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from ulid import ULID

from orderflow.commands.replay import replayer
from orders.contracts.admin import ensure_topics
from orders.contracts.codec import encode, encode_key
from orders.contracts.topics import LIBRDKAFKA_PARTITIONER, Topics
from orders.domain.events import (
    Event,
    OrderCompleted,
    OrderPlaced,
    OrderValidated,
    PaymentCaptured,
    StockReserved,
)
from orders.domain.lines import OrderLine
from orders.redis_support import redis_client
from orders.replay.build import Silent
from orders.settings import Settings

EVENTS_PER_ORDER = 5
Echo = Callable[[str], None]


@dataclass
class ReplayBenchResult:
    orders: int
    events: int
    batch: int
    runs_events_per_s: list[float]
    median_events_per_s: float
    publish_s: float


def bench_settings(settings: Settings) -> Settings:
    """The same servers, with a topic prefix and Redis namespace no one else uses."""
    prefix = f"bench-replay-{uuid.uuid4().hex[:8]}"
    return settings.model_copy(update={"topic_prefix": prefix, "redis_namespace": prefix})


def order_events(order_id: str) -> list[Event]:
    items = (OrderLine(sku="BENCH", quantity=2, unit_price=Decimal("5.50")),)
    terms = {"order_id": order_id, "items": items, "currency": "USD", "payment_token": "tok_visa",
             "total": Decimal("11.00"), "total_minor": 1100}  # fmt: skip
    return [
        OrderPlaced(customer_id="bench", **terms),
        OrderValidated(**terms),
        StockReserved(**terms),
        PaymentCaptured(
            order_id=order_id, payment_id=f"pay-{order_id}", amount=Decimal("11.00"), items=items
        ),
        OrderCompleted(order_id=order_id),
    ]


def synthetic(orders: int) -> Iterator[tuple[str, bytes]]:
    """(key, value) of every event, orders interleaved the way a busy front door makes them."""
    chunk = 1000
    for start in range(0, orders, chunk):
        ids = [str(ULID()) for _ in range(min(chunk, orders - start))]
        per_order = [order_events(order_id) for order_id in ids]
        for step in range(EVENTS_PER_ORDER):
            for order_id, events in zip(ids, per_order, strict=True):
                yield order_id, encode(events[step])


def publish(settings: Settings, orders: int) -> None:
    """Publish the synthetic log (blocking); raises when the broker refused any event."""
    topic = Topics.from_settings(settings).order_events.name
    producer = Producer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "partitioner": LIBRDKAFKA_PARTITIONER, "enable.idempotence": True, "acks": "all",
        "linger.ms": 20, "batch.num.messages": 10_000, "compression.type": "lz4",
    })  # fmt: skip
    failures: list[str] = []

    def delivered(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    for key, value in synthetic(orders):
        while True:
            try:
                producer.produce(topic, value, encode_key(key), on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(120) or failures:
        raise RuntimeError(f"events not acknowledged: {failures[:3]}")


async def rebuild_rates(settings: Settings, runs: int, echo: Echo) -> list[float]:
    rates = []
    async with replayer(settings, None) as made:
        made.reporter = Silent()
        for run in range(1, runs + 1):
            started = time.perf_counter()
            build = await made.build_into(f"bench-{run}", None)
            seconds = time.perf_counter() - started
            rates.append(round(build.events / seconds, 1))
            echo(f"run {run}: {build.events:,} events in {seconds:.2f}s = {rates[-1]:,.0f}/s")
            await made.drop(build.name)
    return rates


async def _delete_namespace(settings: Settings) -> None:
    client = redis_client(settings.redis_url, timeout_s=30)
    try:
        keys = [key async for key in client.scan_iter(match=f"{settings.redis_namespace}:*")]
        for start in range(0, len(keys), 500):
            await client.unlink(*keys[start : start + 500])
    finally:
        await client.aclose()


def run_replay_bench(
    settings: Settings, orders: int, runs: int, echo: Echo = print
) -> ReplayBenchResult:
    """Publish, rebuild `runs` times, clean up (topics and keys); the figures."""
    settings = bench_settings(settings)
    ensure_topics(settings)
    try:
        started = time.perf_counter()
        publish(settings, orders)
        publish_s = time.perf_counter() - started
        rates = asyncio.run(rebuild_rates(settings, runs, echo))
    finally:
        asyncio.run(_delete_namespace(settings))
        admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
        names = [spec.name for spec in Topics.from_settings(settings).all()]
        for future in admin.delete_topics(names).values():
            future.result(timeout=30)
    return ReplayBenchResult(
        orders=orders,
        events=orders * EVENTS_PER_ORDER,
        batch=settings.replay_batch,
        runs_events_per_s=rates,
        median_events_per_s=statistics.median(rates),
        publish_s=round(publish_s, 2),
    )
