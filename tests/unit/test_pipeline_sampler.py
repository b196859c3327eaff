"""The dashboard's Kafka sampler with fake readers: what it records, and that a Kafka that
does not answer (or a bug) is recorded instead of ending the task."""

import asyncio
from collections.abc import Iterable

import pytest

from orders.contracts.cluster import Broker, ClusterView, Replicas
from orders.contracts.group import GroupMember, GroupView
from orders.contracts.offsets import Partition, Watermarks
from orders.contracts.topics import TopicSpec
from orders.errors import KafkaUnavailable
from status_api.pipeline_sampler import (
    UNKNOWN,
    KafkaSample,
    PipelineHistory,
    PipelineSampler,
)
from tests.unit.stage_helpers import eventually

ORDERS = TopicSpec("p.order-events", 2, "order_id")
STOCK = TopicSpec("p.stock", 1, "sku")
DEAD = TopicSpec("p.dead-letters", 2, "key")
CLUSTER = ClusterView(
    (Broker(1, "127.0.0.1", 9092), Broker(2, "127.0.0.1", 9093)),
    (Replicas("p.order-events", 0, 1, (1, 2, 3), (1, 2)),),
)
MEMBER = GroupMember("m", "orderflow-worker-1", "127.0.0.1", (("p.order-events", 0),))


class FakeKafka:
    def __init__(self) -> None:
        self.ends = {("p.order-events", 0): 10, ("p.order-events", 1): 3, ("p.stock", 0): 5}
        self.dead = {
            ("p.dead-letters", 0): Watermarks(0, 4),
            ("p.dead-letters", 1): Watermarks(2, 3),
        }
        self.committed_at = {("p.order-events", 0): 6, ("p.stock", 0): 5}
        self.failure: Exception | None = None

        self.group_failure: Exception | None = None
        self.cluster_failure: Exception | None = None
        self.asked_topics: list[str] = []

    async def cluster(self, topics: Iterable[str]) -> ClusterView:
        self.asked_topics = list(topics)
        if self.cluster_failure:
            raise self.cluster_failure
        return CLUSTER

    async def describe(self) -> GroupView:
        if self.group_failure:
            raise self.group_failure
        return GroupView("Stable", (MEMBER,))

    async def committed(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        if self.failure:
            raise self.failure
        return {tp: self.committed_at.get(tp, -1001) for tp in partitions}

    async def watermarks(self, partitions: Iterable[Partition]) -> dict[Partition, Watermarks]:
        marks = {tp: Watermarks(0, end) for tp, end in self.ends.items()} | self.dead
        return {tp: marks[tp] for tp in partitions}


def sampler(kafka: FakeKafka, history: PipelineHistory, clock: list[float]) -> PipelineSampler:
    return PipelineSampler(kafka, kafka, consumed=(ORDERS, STOCK), dead_letters=DEAD,
                           history=history, clock=lambda: clock[0])  # fmt: skip


async def test_a_sample_records_lag_dead_letters_and_the_group() -> None:
    history, kafka = PipelineHistory(), FakeKafka()

    await sampler(kafka, history, [100.0]).sample()

    latest = history.latest
    assert isinstance(latest, KafkaSample)
    assert history.error is None
    assert latest.lag == {("p.order-events", 0): 4, ("p.order-events", 1): 3, ("p.stock", 0): 0}
    assert latest.dead_letters == 4 + 1
    assert latest.group.members == (MEMBER,)
    assert [(p.at, p.dead_letters) for p in history.points] == [(100.0, 5)]
    assert history.cluster == CLUSTER
    assert kafka.asked_topics == ["p.dead-letters", "p.order-events", "p.stock"]


async def test_cluster_metadata_that_does_not_come_leaves_the_rest_of_the_sample() -> None:
    history, kafka = PipelineHistory(), FakeKafka()
    kafka.cluster_failure = KafkaUnavailable("no metadata")

    await sampler(kafka, history, [100.0]).sample()

    assert history.error is None
    assert history.cluster is None
    assert history.latest is not None
    assert history.latest.dead_letters == 5


async def test_the_cluster_is_recorded_even_when_the_offsets_fail() -> None:
    history, kafka = PipelineHistory(), FakeKafka()
    kafka.failure = KafkaUnavailable("a leader is gone")

    await sampler(kafka, history, [100.0]).sample()

    assert history.error == "a leader is gone"
    assert history.cluster == CLUSTER  # what a lost broker looks like is still shown


async def test_kafka_not_answering_is_recorded_and_the_last_sample_kept() -> None:
    history, kafka, clock = PipelineHistory(), FakeKafka(), [100.0]
    taker = sampler(kafka, history, clock)
    await taker.sample()
    kafka.failure = KafkaUnavailable("Kafka did not answer")

    await taker.sample()

    assert history.error == "Kafka did not answer"
    assert history.latest is not None
    assert history.latest.at == 100.0
    kafka.failure = None
    clock[0] = 102.0
    await taker.sample()
    assert history.error is None
    assert len(history.points) == 2


async def test_the_task_outlives_a_bug_and_stops_when_cancelled() -> None:
    history, kafka = PipelineHistory(), FakeKafka()
    kafka.failure = RuntimeError("a bug")
    task = asyncio.create_task(sampler(kafka, history, [1.0]).run(interval_s=0.01))
    try:
        await eventually(lambda: "a bug" in (history.error or ""))
        kafka.failure = None
        await eventually(lambda: history.error is None)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_group_the_broker_cannot_describe_yet_has_an_unknown_state() -> None:
    history, kafka = PipelineHistory(), FakeKafka()
    kafka.group_failure = KafkaUnavailable("no coordinator")

    await sampler(kafka, history, [1.0]).sample()

    assert history.error is None
    assert history.latest is not None
    assert history.latest.group == GroupView(UNKNOWN, ())
    assert sum(history.latest.lag.values()) == 7


def test_history_keeps_only_its_window() -> None:
    history, kafka = PipelineHistory(keep_s=10), FakeKafka()
    clock = [0.0]
    taker = sampler(kafka, history, clock)

    async def take(times: list[float]) -> None:
        for at in times:
            clock[0] = at
            await taker.sample()

    asyncio.run(take([0.0, 5.0, 10.0, 15.0]))

    assert [p.at for p in history.points] == [5.0, 10.0, 15.0]
