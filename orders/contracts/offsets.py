"""A consumer group's committed offsets and the partitions' watermarks, read from the broker.

One reader for the workers' lag gauge (stream_processors/lag.py) and the status API's
dashboard (status_api/pipeline_sampler.py), which also asks it how the cluster stands (brokers,
leaders, in-sync replicas). A plain confluent-kafka Consumer with the group's id that never
subscribes, so it never joins the group; its blocking calls run in a thread. Not
the AdminClient: its ListConsumerGroupOffsets aborts the whole process when the broker goes
away mid-request (librdkafka issue #4605, `rd_kafka_enq_once_del_source_return: Assertion`).
"""

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import Consumer, KafkaException, TopicPartition

from orders.contracts.cluster import ClusterView, cluster_view
from orders.errors import KafkaUnavailable

log = logging.getLogger(__name__)

Partition = tuple[str, int]  # (topic, partition)
T = TypeVar("T")


@dataclass(frozen=True)
class Watermarks:
    low: int  # the first offset still in the log
    high: int  # the end: the offset the next record gets

    @property
    def records(self) -> int:
        return max(self.high - self.low, 0)


def lag_of(
    ends: Mapping[Partition, int], committed: Mapping[Partition, int]
) -> dict[Partition, int]:
    """End offset minus committed offset; a partition with nothing committed (a negative
    offset) lags by its end offset (workers start from the earliest record, and the log is
    kept forever)."""
    return {tp: max(end - max(committed.get(tp, 0), 0), 0) for tp, end in ends.items()}


class GroupOffsets:
    """Reads `group`'s committed offsets and partitions' watermarks; raises KafkaUnavailable
    when the broker does not answer within `timeout_s`."""

    def __init__(
        self, bootstrap_servers: str, group: str, *, client_id: str, timeout_s: float = 5.0
    ) -> None:
        self._config = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "client.id": client_id,
            "logger": log,  # librdkafka's complaints go to logging, not stderr
        }
        self._timeout_s = timeout_s
        self._consumer: Consumer | None = None  # made on first use, not at construction
        self._lock = threading.Lock()  # one call at a time; never close it while in use

    async def committed(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """The group's committed offset per partition; negative where it committed none."""
        return await self._call(self._committed, _sorted(partitions))

    async def watermarks(self, partitions: Iterable[Partition]) -> dict[Partition, Watermarks]:
        return await self._call(self._watermarks, _sorted(partitions))

    async def cluster(self, topics: Iterable[str]) -> ClusterView:
        """The brokers, and the leader and in-sync replicas of the topics' partitions."""
        names = sorted(set(topics))
        return await asyncio.to_thread(self._locked, self._cluster, [(n, 0) for n in names])

    async def lag(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        tps = _sorted(partitions)
        if not tps:
            return {}
        committed = await self.committed(tps)
        ends = {tp: marks.high for tp, marks in (await self.watermarks(tps)).items()}
        return lag_of(ends, committed)

    async def _call(self, read: Callable[[list[Partition]], T], tps: list[Partition]) -> T:
        return await asyncio.to_thread(self._locked, read, tps)

    def _locked(self, read: Callable[[list[Partition]], T], tps: list[Partition]) -> T:
        with self._lock:
            try:
                return read(tps)
            except KafkaException as e:
                # A fresh client next time: this one's cached metadata may name a leader that
                # is gone (a lost broker), and it would not ask again for minutes.
                self._close_consumer()
                raise KafkaUnavailable(f"Kafka did not answer: {e.args[0]}") from e
            except KafkaUnavailable:
                self._close_consumer()
                raise

    def _committed(self, tps: list[Partition]) -> dict[Partition, int]:
        if not tps:
            return {}
        asked = [TopicPartition(topic, partition) for topic, partition in tps]
        found = self._ensure_consumer().committed(asked, timeout=self._timeout_s)
        for tp in found:
            if tp.error is not None:
                raise KafkaUnavailable(
                    f"no committed offset for {tp.topic}[{tp.partition}]: {tp.error}"
                )
        return {(tp.topic, tp.partition): tp.offset for tp in found}

    def _watermarks(self, tps: list[Partition]) -> dict[Partition, Watermarks]:
        consumer = self._ensure_consumer()
        found = {}
        for topic, partition in tps:
            marks = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=self._timeout_s
            )
            if marks is None:  # what the client gives on a timeout
                raise KafkaUnavailable(f"Kafka did not answer for {topic}[{partition}]")
            found[(topic, partition)] = Watermarks(*marks)
        return found

    def _cluster(self, tps: list[Partition]) -> ClusterView:
        metadata = self._ensure_consumer().list_topics(timeout=self._timeout_s)
        return cluster_view(metadata, (topic for topic, _ in tps))

    def _ensure_consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(self._config)
        return self._consumer

    def close(self) -> None:
        """Blocking (waits for a read in flight)."""
        with self._lock:
            self._close_consumer()

    def _close_consumer(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None


def _sorted(partitions: Iterable[Partition]) -> list[Partition]:
    return sorted(set(partitions))
