"""The front door under duplicates and SIGTERM, through the real processes."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from redis.asyncio import Redis
from redis.asyncio.client import Monitor

from orderflow.client import OrderflowClient, order_body
from orderflow.infra.ports import accepts_connections
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.contracts.codec import encode
from orders.redis_support import redis_client
from producer.api import new_order
from producer.idempotency import Claimed, fingerprint
from producer.idempotency.redis import RedisIdempotencyStore
from producer.schemas import PlaceOrder
from tests.e2e.front_door_load import Load, post_order, summary, wait_all_terminal

TIMEOUT = aiohttp.ClientTimeout(total=60)


async def test_one_key_sent_50_times_at_once_is_one_order(stack: LocalStack) -> None:
    sku = f"{stack.settings.topic_prefix}-DUP"
    await set_stock(stack.settings, {sku: 10})
    body = order_body([(sku, 1, "2.00")])
    key = f"{stack.settings.topic_prefix}-the-one-key"

    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        answers = await asyncio.gather(
            *(post_order(session, stack.producer_url, body, key) for _ in range(50))
        )
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        [order_id] = {answer.order_id for answer in answers}
        final = await client.wait_terminal(order_id, within=90, interval=0.05)

    assert summary(answers) == {"202": 50}
    assert len({json.dumps(a.body, sort_keys=True) for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert final["status"] == "COMPLETED", final
    assert [h["status"] for h in final["history"]].count("PENDING") == 1


@asynccontextmanager
async def redis_monitor(url: str) -> AsyncIterator[Monitor]:
    """Every command Redis runs, as it runs them (MONITOR)."""
    client = Redis.from_url(url)  # no socket timeout: MONITOR may be quiet for a while
    try:
        async with client.monitor() as monitor:
            yield monitor
    finally:
        await client.aclose()


async def wait_command_on(monitor: Monitor, key: str, within: float) -> None:
    async with asyncio.timeout(within):
        async for command in monitor.listen():
            if key in command["command"]:
                return


async def wait_refused(port: int, within: float) -> None:
    async with asyncio.timeout(within):
        while True:
            if not await asyncio.to_thread(accepts_connections, port):
                return
            await asyncio.sleep(0.05)


async def test_sigterm_finishes_what_it_accepted(stack: LocalStack) -> None:
    settings, p = stack.settings, stack.settings.topic_prefix
    sku = f"{p}-TERM"
    await set_stock(settings, {sku: 10_000})
    body = order_body([(sku, 1, "1.00")])
    producer = stack.processes["producer"]
    # A key another front door claimed and then abandoned (it crashed): a request with it
    # waits inside its handler until the lease runs out, takes it over and publishes the
    # stored event, so that handler is certainly in flight across SIGTERM.
    held_key, held_event = f"{p}-held", new_order(PlaceOrder.model_validate(body))
    redis = redis_client(settings.redis_url)
    store = RedisIdempotencyStore(
        redis,
        settings.redis_namespace,
        ttl_s=settings.idempotency_ttl_s,
        lease_s=settings.idempotency_lease_s,
    )

    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        load = Load(session, stack.producer_url, body, key_prefix=p, concurrency=8, limit=400)
        running = asyncio.create_task(load.run())
        await load.until(lambda answers: len(load.accepted) >= 40, within=90)
        print_ = fingerprint(PlaceOrder.model_validate(body))
        assert isinstance(await store.claim(held_key, print_, encode(held_event)), Claimed)
        async with redis_monitor(settings.redis_url) as monitor:
            held = asyncio.create_task(post_order(session, stack.producer_url, body, held_key))
            await wait_command_on(monitor, store.record_key(held_key), within=30)

        stopping = asyncio.create_task(asyncio.to_thread(producer.stop, 60))
        await wait_refused(settings.producer_port, within=30)  # SIGTERM is being handled
        assert not held.done()
        answers = [await held]
        await stopping
        load.stop()
        await running
        answers += load.answers

        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        accepted = [a for a in answers if a.status == 202]
        finals = await wait_all_terminal(client, (a.order_id for a in accepted), within=120)
    await redis.aclose()

    assert producer.returncode == 0, "the front door did not exit by itself after SIGTERM"
    assert answers[0].status == 202, answers[0]  # in flight at SIGTERM, and finished
    assert answers[0].order_id == held_event.order_id
    failed = [a for a in answers if a.status not in (202, None, 503)]
    assert not failed, failed[:5]
    assert any(a.status is None for a in answers), summary(answers)  # the door did close
    assert {f["status"] for f in finals.values()} == {"COMPLETED"}
    assert len(finals) == len(accepted)
    log = producer.log_file.read_text()
    assert "unexpected error" not in log
    assert "still unacknowledged at shutdown" not in log
