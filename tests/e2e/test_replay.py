"""`orderflow replay` against the running system: the status table comes back after Redis lost
its data, equal order by order; --verify finds exactly a corrupted order; and a replay while
orders keep arriving switches tables with no order missing or stale."""

import asyncio

import aiohttp
import pytest
from redis.asyncio import Redis

from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.replay.redis_tables import StatusTables
from orders.settings import Settings
from tests.e2e.conftest import StackFactory
from tests.e2e.faults import history_problems, placing
from tests.e2e.test_faults_workers import mixed_plan
from tests.replay_cli import explain, run_replay, table_snapshot

pytestmark = pytest.mark.timeout(480)


async def redis_of(settings: Settings) -> Redis:
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    return client


async def live_table(settings: Settings) -> str:
    client = await redis_of(settings)
    try:
        return await StatusTables(client, settings.redis_namespace).live_table()
    finally:
        await client.aclose()


async def place_all(stack: LocalStack, count: int) -> dict[str, dict[str, object]]:
    """Place a mix of orders and wait until every one is terminal; their final views."""
    prefix = stack.settings.topic_prefix
    stock, plan = mixed_plan(prefix, count, seed=4)
    await set_stock(stack.settings, stock)
    async with placing(stack.producer_url, stack.status_url, plan, per_second=40) as running:
        final = await running.all_terminal(within=180)
    assert not running.load.refused, running.load.refused[:3]
    assert history_problems(final) == []
    return final


async def verify_cli(settings: Settings) -> tuple[int, list[str]]:
    done = await asyncio.to_thread(run_replay, settings, "--verify", "--settle", "3")
    assert done.returncode in (0, 1), explain(done)
    return done.returncode, done.stdout.splitlines()


@pytest.fixture
def own_redis_stack(stack_factory: StackFactory) -> LocalStack:
    # The stack starts (and owns) its Redis, so a FLUSHALL hurts no other test.
    running = stack_factory(redis_url=None)
    assert running.redis is not None
    return running


async def test_rebuild_after_redis_lost_its_data(own_redis_stack: LocalStack) -> None:
    stack, settings = own_redis_stack, own_redis_stack.settings
    final = await place_all(stack, 80)
    before = await table_snapshot(settings)
    assert sorted(before) == sorted(final)
    assert {o: v.status for o, v in before.items()} == {o: v["status"] for o, v in final.items()}

    assert await verify_cli(settings) == (0, ["identical"])
    corrupted = sorted(before)[3]
    client = await redis_of(settings)
    try:
        await client.hset(f"{settings.redis_namespace}:order:{corrupted}", "status", "PENDING")
        code, lines = await verify_cli(settings)
        assert code == 1, lines
        assert [line.split()[0] for line in lines[:-1]] == [corrupted]
        assert "live: PENDING" in lines[0]
        assert "differs in: status" in lines[0]

        await client.flushall()  # Redis lost everything
        assert await stack_answer(stack, corrupted) == 404
        first = await asyncio.to_thread(run_replay, settings)
        assert first.returncode == 0, explain(first)
        assert await table_snapshot(settings) == before  # the corrupted order repaired too
        assert await stack_answer(stack, corrupted) == 200

        first_table = await live_table(settings)
        second = await asyncio.to_thread(run_replay, settings)
        assert second.returncode == 0, explain(second)
        assert await live_table(settings) != first_table
        assert await client.keys(f"{first_table}:*") == []  # the old table is dropped
        assert await table_snapshot(settings) == before  # twice: the same table
    finally:
        await client.aclose()
    assert await verify_cli(settings) == (0, ["identical"])


async def stack_answer(stack: LocalStack, order_id: str) -> int:
    """The status API's HTTP status for the order."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stack.status_url}/orders/{order_id}") as response,
    ):
        return response.status


async def test_replay_while_orders_keep_arriving(stack_factory: StackFactory) -> None:
    stack = stack_factory()
    settings = stack.settings
    stock, plan = mixed_plan(settings.topic_prefix, 500, seed=7)
    await set_stock(settings, stock)
    urls = stack.producer_url, stack.status_url

    # The first orders flow through before the replay; the rest start with it, so orders arrive
    # during the replay however long the first ones took on a busy machine.
    async with placing(*urls, plan[:100], per_second=40) as warm:
        await warm.watch.until(warm.load, 80, within=120)
        async with placing(*urls, plan[100:], per_second=40) as running:
            replayed = await asyncio.to_thread(run_replay, settings)
            assert replayed.returncode == 0, explain(replayed)
            assert running.load.accepted, "no order arrived during the replay"
            final = await running.all_terminal(within=240)
        final |= await warm.all_terminal(within=240)

    refused = warm.load.refused + running.load.refused
    assert not refused, refused[:3]
    accepted = warm.load.accepted | running.load.accepted
    assert history_problems(final) == []
    assert (await live_table(settings)).startswith(f"{settings.redis_namespace}:t:")
    table = await table_snapshot(settings)
    assert sorted(table) == sorted(accepted)  # none missing
    for order_id, order in final.items():  # none stale: the API serves the table as it is
        stored = table[order_id]
        assert (stored.status, stored.version) == (order["status"], str(order["version"]))
    assert await verify_cli(settings) == (0, ["identical"])
