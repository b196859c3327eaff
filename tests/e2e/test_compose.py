"""docker-compose.yml for real: the stack from a clean state on a Docker engine, 200 orders
with mixed outcomes through the published ports, the workers scaled to 3 while orders flow,
then `docker compose down -v`. Skipped only when no engine answers (README: Development)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from orderflow.client import OrderflowClient, order_body
from orders.domain.status import OrderStatus, is_legal_path
from tests import containers
from tests.e2e.compose_helpers import (
    Compose,
    compose_project,
    first_healthy,
    started,
    terminal_views,
)
from tests.e2e.test_pipeline import Case, cases

pytestmark = pytest.mark.skipif(
    not containers.docker_answers(),
    reason="no Docker engine answers (ORDERFLOW_TEST_DOCKER=0, DOCKER_HOST, or none running)",
)

SCALE_AFTER = 60  # orders placed before `--scale worker=3`
WORKERS = 3


@pytest.fixture
def compose(tmp_path: Path) -> Iterator[Compose]:
    """A compose project of its own (name, host ports, app image tag), removed with its volumes."""
    with compose_project(tmp_path) as project:
        yield project


def check_start_order(compose: Compose) -> None:
    """The front door started after Kafka was healthy and the topics job had finished."""
    (kafka,) = compose.containers("kafka")
    (topics,) = compose.containers("topics")
    (producer,) = compose.containers("producer")
    assert topics["State"]["ExitCode"] == 0
    kafka_healthy = first_healthy(kafka)
    assert kafka_healthy is not None, kafka["State"].get("Health")
    assert started(topics) >= kafka_healthy
    assert started(producer) >= kafka_healthy
    assert started(producer) >= started(topics)


async def place_while_scaling(
    compose: Compose, client: OrderflowClient, plan: list[Case]
) -> dict[str, Case]:
    """Place every order, 16 at a time; after SCALE_AFTER of them, scale the workers to 3."""
    limit = asyncio.Semaphore(16)
    placed: dict[str, Case] = {}
    enough = asyncio.Event()

    async def one(case: Case) -> None:
        async with limit:
            order = await client.place(order_body(case.lines, case.token))
        placed[order.order_id] = case
        if len(placed) >= SCALE_AFTER:
            enough.set()

    async def scale() -> None:
        await enough.wait()
        await asyncio.to_thread(
            compose.run, "up", "--detach", "--no-deps", "--no-recreate", "--wait",
            "--scale", f"worker={WORKERS}", "worker",
        )  # fmt: skip

    await asyncio.gather(scale(), *(one(case) for case in plan for _ in range(case.count)))
    return placed


@pytest.mark.timeout(900)  # the first run builds the app image
async def test_compose_stack_serves_200_orders_while_workers_scale(compose: Compose) -> None:
    await asyncio.to_thread(compose.run, "build", timeout=900)
    await asyncio.to_thread(compose.run, "up", "--detach", "--wait", "--wait-timeout", "300")
    check_start_order(compose)

    p = compose.project.upper()
    stock = f"orderflow stock set {p}-A 1000 && orderflow stock set {p}-B 1000"
    stock += f" && orderflow stock set {p}-EMPTY 0"
    await asyncio.to_thread(compose.run, "run", "--rm", "--no-deps", "topics", "sh", "-c", stock)

    env = compose.env
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(
            session,
            f"http://127.0.0.1:{env['FRONT_DOOR_PORT']}",
            f"http://127.0.0.1:{env['STATUS_API_PORT']}",
        )
        plan = cases(p)
        placed = await place_while_scaling(compose, client, plan)
        finals, unavailable = await terminal_views(session, client.status_url, set(placed), 240)
    took = ", ".join(f"{step} {seconds:.0f}s" for step, seconds in compose.timings.items())
    print(f"compose: {took}; status API answered 503 to {unavailable} polls")  # shown with -rA

    assert len(placed) == sum(c.count for c in plan) == 200  # distinct order ids
    for order_id, case in placed.items():
        final = finals[order_id]
        assert final["status"] == case.expect, (order_id, final)
        assert case.reason in str(final["reason"] or ""), (order_id, final)
        history = final["history"]
        assert isinstance(history, list)
        path = [OrderStatus(h["status"]) for h in history]
        assert is_legal_path(path), (order_id, path)

    workers = compose.containers("worker")
    states = [w["State"]["Health"]["Status"] for w in workers if w["State"]["Running"]]
    assert states == ["healthy"] * WORKERS, states
