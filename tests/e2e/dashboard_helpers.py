"""Shared steps of the dashboard's e2e tests: read /dashboard.json until it shows something,
stop and start every worker."""

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from orderflow.stack import LocalStack

Snapshot = dict[str, Any]


async def dashboard(http: aiohttp.ClientSession, stack: LocalStack) -> Snapshot:
    async with http.get(f"{stack.status_url}/dashboard.json") as response:
        assert response.status == 200
        body: Snapshot = await response.json()
        return body


async def until(
    http: aiohttp.ClientSession,
    stack: LocalStack,
    condition: Callable[[Snapshot], bool],
    within: float,
    what: str,
) -> Snapshot:
    """The first snapshot for which `condition` holds; fails after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    body = await dashboard(http, stack)
    while not condition(body):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"dashboard never showed {what} in {within}s; last: {body}")
        await asyncio.sleep(0.5)
        body = await dashboard(http, stack)
    return body


def topic_lag(body: Snapshot, topic: str) -> int:
    return sum(p["lag"] for p in body["kafka"]["lag"]["partitions"] if p["topic"] == topic)


def caught_up(body: Snapshot, workers: int) -> bool:
    kafka = body["kafka"]
    partitions = kafka["lag"]["partitions"]
    return (
        kafka["available"]
        and kafka["state"] == "Stable"
        and len(kafka["workers"]) == workers
        and bool(partitions)
        and all(p["lag"] == 0 for p in partitions)
    )


def worker_names(stack: LocalStack) -> list[str]:
    return sorted(name for name in stack.processes if name.startswith("worker-"))


async def stop_workers(stack: LocalStack) -> list[str]:
    """Stop every worker (gracefully: each commits what it processed). With Faust's single
    consumer group every worker runs every stage, so this stops every stage."""
    names = worker_names(stack)
    for name in names:
        await asyncio.to_thread(stack.processes.pop(name).stop, 30)
    return names


async def start_workers(stack: LocalStack, names: list[str]) -> None:
    for name in names:
        stack.start_process(name)
    await asyncio.to_thread(stack.wait_ready, 240)
