"""docker-compose.yml's cluster profile for real: three Kafka nodes from compose/cluster.env,
every contract topic with three copies and min ISR 2, and the broker leading most order-log
partitions killed (SIGKILL) while orders arrive, then started again. Every order the front door
accepted completes, no answer is a 500, and the lost copies come back in sync."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from orders.domain.status import OrderStatus, is_legal_path
from tests import containers
from tests.e2e.cluster_load import RetryingLoad, client_figures
from tests.e2e.compose_helpers import REPO_ROOT, Compose, compose_project, terminal_views
from tests.e2e.faults import Planned

pytestmark = pytest.mark.skipif(
    not containers.docker_answers(),
    reason="no Docker engine answers (ORDERFLOW_TEST_DOCKER=0, DOCKER_HOST, or none running)",
)

CONTRACT = ("orderflow.order-events", "orderflow.stock", "orderflow.dead-letters")
CLUSTER_ENV = REPO_ROOT / "compose" / "cluster.env"
NODES = {1: "kafka", 2: "kafka-2", 3: "kafka-3"}  # KAFKA_NODE_ID -> service
ORDERS = 150
PER_SECOND = 10.0
KILL_AFTER_S = 4.0  # into the load (about 40 orders placed), the busiest leader is killed
DOWN_FOR_S = 15.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Compose]:
    with compose_project(tmp_path, env_file=CLUSTER_ENV) as project:
        yield project


def replication(compose: Compose) -> dict[str, dict[str, str]]:
    """`orderflow topics` run inside the stack: each topic's `key=value` replication fields."""
    out = compose.run("run", "--rm", "--no-deps", "topics", "orderflow", "topics", timeout=120)
    fields: dict[str, dict[str, str]] = {}
    for line in out.splitlines():
        name, *rest = line.split()
        fields[name] = dict(re.findall(r"([\w.-]+)=(\S+)", " ".join(rest)))
    return fields


def busiest_leader(fields: dict[str, str]) -> str:
    """The service of the node leading most of a topic's partitions (`leaders=1:2,2:2,3:2`)."""
    counts = dict(pair.split(":") for pair in fields["leaders"].split(","))
    node = max(counts, key=lambda n: int(counts[n]))
    return NODES[int(node)]


async def in_sync_again(compose: Compose, within: float) -> dict[str, dict[str, str]]:
    deadline = time.monotonic() + within
    while True:
        fields = await asyncio.to_thread(replication, compose)
        if all(fields.get(t, {}).get("under-replicated") == "0" for t in CONTRACT):
            return fields
        if time.monotonic() > deadline:
            raise TimeoutError(f"copies not back in sync within {within:.0f}s: {fields}")
        await asyncio.sleep(3)


async def kill_and_restart(compose: Compose, service: str) -> None:
    await asyncio.sleep(KILL_AFTER_S)
    await asyncio.to_thread(compose.run, "kill", "--signal", "SIGKILL", service)
    await asyncio.sleep(DOWN_FOR_S)
    await asyncio.to_thread(compose.run, "start", service)


@pytest.mark.timeout(900)  # builds the app image when the other compose test has not
async def test_compose_cluster_loses_a_broker_and_no_accepted_order(cluster: Compose) -> None:
    await asyncio.to_thread(cluster.run, "build", timeout=900)
    await asyncio.to_thread(cluster.run, "up", "--detach", "--wait", "--wait-timeout", "300")
    before = await asyncio.to_thread(replication, cluster)
    for name in CONTRACT:
        assert before[name]["replicas"] == "3", before[name]
        assert before[name]["min.insync.replicas"] == "2", before[name]
    victim = busiest_leader(before[CONTRACT[0]])

    p = cluster.project.upper()
    stock = f"orderflow stock set {p}-A 100000 && orderflow stock set {p}-B 100000"
    await asyncio.to_thread(cluster.run, "run", "--rm", "--no-deps", "topics", "sh", "-c", stock)

    plan = [Planned([(f"{p}-A", 1 + i % 3, "1.00"), (f"{p}-B", 1, "2.00")]) for i in range(ORDERS)]
    env = cluster.env
    async with aiohttp.ClientSession() as session:
        load = RetryingLoad(
            session, f"http://127.0.0.1:{env['FRONT_DOOR_PORT']}", plan, p, PER_SECOND
        )
        await asyncio.gather(load.run(), kill_and_restart(cluster, victim))
        status_url = f"http://127.0.0.1:{env['STATUS_API_PORT']}"
        finals, _ = await terminal_views(session, status_url, set(load.accepted), 300)
    after = await in_sync_again(cluster, 180)
    leaders = before[CONTRACT[0]]["leaders"]
    print(f"compose cluster: leaders {leaders}, killed {victim}; {client_figures(load.answers)}")
    print(f"after: {after[CONTRACT[0]]}")

    wrong = [a for a in load.answers if a.status not in (202, 503, None)]
    assert not wrong, wrong[:5]
    assert not load.given_up, load.given_up[:5]
    assert len(load.accepted) == ORDERS  # distinct order ids, one per Idempotency-Key
    for order_id, final in finals.items():
        assert final["status"] == OrderStatus.COMPLETED, (order_id, final)
        path = [OrderStatus(h["status"]) for h in final["history"]]
        assert is_legal_path(path), (order_id, path)
