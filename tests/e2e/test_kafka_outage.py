"""Kafka goes away under load and comes back: the front door answers 503 quickly, the status
API keeps serving, and every order that got a 202 is processed once Kafka is back.

This test runs its own Kafka (the session's is shared with other tests)."""

import asyncio
import time

import aiohttp
import pytest

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from tests.e2e.conftest import StackFactory
from tests.e2e.front_door_load import Answer, Load, post_order, summary, wait_all_terminal

PUBLISH_TIMEOUT_S = 2.0
# The publisher's own 1 s safety net, and spare for a loaded 2-core machine.
ANSWER_BOUND_S = PUBLISH_TIMEOUT_S + 1 + 3


@pytest.fixture
def own_kafka_stack(stack_factory: StackFactory) -> LocalStack:
    # No Kafka address given: the stack starts a Kafka of its own.
    running = stack_factory(kafka_bootstrap_servers=None, publish_timeout_s=PUBLISH_TIMEOUT_S)
    assert running.kafka is not None
    return running


def after(moment: float, answers: list[Answer], status: int) -> list[Answer]:
    return [a for a in answers if a.started >= moment and a.status == status]


async def retry_until_accepted(
    session: aiohttp.ClientSession, url: str, body: dict[str, object], key: str, within: float
) -> Answer:
    """Retry a 503'd order with the same key, as a client should, until it is accepted."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await post_order(session, url, body, key)
        if answer.status == 202 or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.5)


async def test_kafka_outage_delays_orders_but_loses_none(own_kafka_stack: LocalStack) -> None:
    stack = own_kafka_stack
    kafka, p = stack.kafka, stack.settings.topic_prefix
    assert kafka is not None
    sku = f"{p}-OUT"
    await set_stock(stack.settings, {sku: 10_000})
    body = order_body([(sku, 1, "1.00")])
    loop = asyncio.get_running_loop()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        # One order through first: the workers are up, and the status API has it to serve.
        before = (await post_order(session, stack.producer_url, body, f"{p}-first")).order_id
        await client.wait_terminal(before, within=90, interval=0.1)
        load = Load(
            session, stack.producer_url, body, key_prefix=p, concurrency=4, limit=400, pause_s=0.2
        )
        running = asyncio.create_task(load.run())
        await load.until(lambda answers: len(load.accepted) >= 30, within=60)

        await asyncio.to_thread(kafka.stop)
        stopped = loop.time()
        # Each 503 takes PUBLISH_TIMEOUT_S, so 24 of them from 4 clients keep Kafka away for
        # over 12 s: longer than the workers' session timeout (10 s), so they must rejoin.
        await load.until(lambda answers: len(after(stopped, answers, 503)) >= 24, within=90)
        served_while_down = await client.order(before)

        started = time.monotonic()
        await asyncio.to_thread(kafka.start)
        restarted, kafka_start_s = loop.time(), time.monotonic() - started
        await load.until(lambda answers: len(after(restarted, answers, 202)) >= 20, within=90)
        load.stop()
        await running

        refused = [a for a in load.answers if a.status == 503]
        retried = [
            await retry_until_accepted(session, stack.producer_url, body, a.key, within=60)
            for a in refused
        ]
        answers = load.answers + retried
        accepted = [a for a in answers if a.status == 202]
        finals = await wait_all_terminal(client, (a.order_id for a in accepted), within=120)

    assert set(summary(load.answers)) == {"202", "503"}, summary(load.answers)  # no 500s
    slow = [a for a in load.answers if a.elapsed > ANSWER_BOUND_S]
    assert not slow, slow[:5]
    assert all(a.headers.get("Retry-After") for a in refused)
    assert served_while_down is not None
    assert served_while_down["status"] == "COMPLETED"
    assert summary(retried) == {"202": len(refused)}, summary(retried)
    order_ids_by_key: dict[str, set[str]] = {}
    for answer in accepted:
        order_ids_by_key.setdefault(answer.key, set()).add(answer.order_id)
    assert all(len(ids) == 1 for ids in order_ids_by_key.values())
    assert len(finals) == len(order_ids_by_key)
    assert {f["status"] for f in finals.values()} == {"COMPLETED"}, kafka_start_s
