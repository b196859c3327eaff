"""The dashboard's sampler against a real Kafka (offsets, the group's description) and with no
Kafka at all: the status API then says so on /dashboard.json and stays ready."""

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka import Producer

from orderflow.infra.ports import free_port
from orders.contracts.admin import ensure_topics
from orders.contracts.group import GroupDescriber
from orders.contracts.offsets import GroupOffsets
from orders.contracts.topics import Topics
from orders.settings import Settings
from status_api.app import create_app
from status_api.pipeline_sampler import PipelineHistory, PipelineSampler


async def dashboard(client: TestClient[web.Request, web.Application]) -> dict[str, Any]:
    response = await client.get("/dashboard.json")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def test_kafka_away_is_shown_and_the_api_stays_ready(
    redis_url: str, unique_prefix: str
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",  # nothing listens there
        redis_url=redis_url,
        redis_namespace=unique_prefix,
        status_api_dashboard_interval_s=0.2,
    )
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        async with asyncio.timeout(60):
            body = await dashboard(client)
            while body["kafka"]["error"] == "not sampled yet":
                await asyncio.sleep(0.2)
                body = await dashboard(client)
        assert body["kafka"]["available"] is False
        assert "Kafka" in body["kafka"]["error"]
        assert body["store"]["available"] is True
        assert body["stages"] is not None
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()  # stops the sampler: the test fails on a task left pending


async def test_a_sample_of_a_real_log_with_no_group_yet(
    kafka_bootstrap: str, unique_prefix: str
) -> None:
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=unique_prefix,
                        dead_letters_partitions=2, worker_group=f"{unique_prefix}-g")  # fmt: skip
    ensure_topics(settings)
    topics = Topics.from_settings(settings)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(3):
        producer.produce(topics.order_events.name, b"x", key=b"k", partition=n % 2)
    producer.produce(topics.dead_letters.name, b"x", key=b"k", partition=1)
    assert producer.flush(30) == 0
    offsets = GroupOffsets(kafka_bootstrap, settings.worker_group, client_id="t", timeout_s=10)
    describer = GroupDescriber(kafka_bootstrap, settings.worker_group, timeout_s=10)
    history = PipelineHistory()
    sampler = PipelineSampler(offsets, describer, consumed=(topics.order_events, topics.stock),
                              dead_letters=topics.dead_letters, history=history)  # fmt: skip
    try:  # a new cluster has no group coordinator for a moment: the sampler asks again
        async with asyncio.timeout(60):
            await sampler.sample()
            while history.error is not None:
                await asyncio.sleep(0.5)
                await sampler.sample()
    finally:
        await describer.close()
        await asyncio.to_thread(offsets.close)

    assert history.error is None, history.error
    latest = history.latest
    assert latest is not None
    assert latest.group.members == ()  # no worker has joined
    assert latest.lag[(topics.order_events.name, 0)] == 2  # nothing committed: all of it
    assert latest.lag[(topics.order_events.name, 1)] == 1
    assert sum(latest.lag.values()) == 3
    assert latest.dead_letters == 1
    cluster = history.cluster
    assert cluster is not None  # one broker: every partition led by it, all in sync
    assert len(cluster.brokers) == 1
    ours = [p for p in cluster.partitions if p.topic == topics.order_events.name]
    assert [p.partition for p in ours] == list(range(topics.order_events.partitions))
    assert {(p.leader, p.isr) for p in ours} == {(cluster.brokers[0].node_id, (1,))}
    assert cluster.under_replicated == ()
