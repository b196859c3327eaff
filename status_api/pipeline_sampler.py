"""The dashboard's view of Kafka: a background task of the status API samples the workers'
consumer group (members and their partitions, committed offsets), the partitions' end
offsets and the cluster (brokers; each partition's leader and in-sync replicas) every
`status_api_dashboard_interval_s`, into an in-process history of KEEP_S seconds that the
dashboard's plots read.

Kafka going away is an answer, not a failure: the history records the error, the dashboard
says so and keeps the last figures; the status API serves everything else, and readiness only
depends on Redis. The task never ends by itself; it is cancelled at shutdown.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from orders.contracts.cluster import ClusterView
from orders.contracts.group import GroupView
from orders.contracts.offsets import Partition, Watermarks, lag_of
from orders.contracts.topics import TopicSpec
from orders.errors import KafkaUnavailable

log = logging.getLogger(__name__)

KEEP_S = 600.0  # how far back the plots reach
UNKNOWN = "Unknown"  # the group's state when the broker did not describe it


class OffsetsReader(Protocol):
    async def committed(self, partitions: Iterable[Partition]) -> dict[Partition, int]: ...

    async def watermarks(self, partitions: Iterable[Partition]) -> dict[Partition, Watermarks]: ...

    async def cluster(self, topics: Iterable[str]) -> ClusterView: ...


class GroupReader(Protocol):
    async def describe(self) -> GroupView: ...


@dataclass(frozen=True)
class KafkaSample:
    """One look at the group and the log, all taken together."""

    at: float  # epoch seconds
    committed: Mapping[Partition, int]  # negative: nothing committed
    ends: Mapping[Partition, int]
    dead_letters: int  # records in the dead-letter topic
    group: GroupView

    @property
    def lag(self) -> dict[Partition, int]:
        return lag_of(self.ends, self.committed)


@dataclass(frozen=True)
class Point:
    """What the plots keep of a sample."""

    at: float
    lag: Mapping[Partition, int]
    dead_letters: int


class PipelineHistory:
    """The last sample, the last KEEP_S seconds of points, and whether Kafka answered last."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self.latest: KafkaSample | None = None
        self.error: str | None = "not sampled yet"  # None: the last sample succeeded
        # The brokers, leaders and ISRs as last asked, even when the offsets then failed (a
        # lost broker is when they matter most); None: the metadata did not come.
        self.cluster: ClusterView | None = None
        self._points: deque[Point] = deque()

    @property
    def points(self) -> tuple[Point, ...]:
        return tuple(self._points)

    def record(self, sample: KafkaSample) -> None:
        self.latest, self.error = sample, None
        self._points.append(Point(sample.at, sample.lag, sample.dead_letters))
        while self._points and self._points[0].at < sample.at - self.keep_s:
            self._points.popleft()

    def failed(self, error: str) -> None:
        self.error = error


class PipelineSampler:
    def __init__(
        self,
        offsets: OffsetsReader,
        group: GroupReader,
        *,
        consumed: Iterable[TopicSpec],
        dead_letters: TopicSpec,
        history: PipelineHistory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._offsets = offsets
        self._group = group
        self._consumed = [(t.name, p) for t in consumed for p in range(t.partitions)]
        self._dead = [(dead_letters.name, p) for p in range(dead_letters.partitions)]
        self._topics = sorted({t for t, _ in [*self._consumed, *self._dead]})
        self.history = history
        self._clock = clock

    async def sample(self) -> None:
        """Take one sample into the history; a Kafka that does not answer is recorded."""
        self.history.cluster = await self._cluster()
        try:
            committed = await self._offsets.committed(self._consumed)
            marks = await self._offsets.watermarks([*self._consumed, *self._dead])
        except KafkaUnavailable as e:
            log.info("dashboard: Kafka not sampled: %s", e)
            self.history.failed(str(e))
            return
        group = await self._describe()
        self.history.record(
            KafkaSample(
                at=self._clock(),
                committed=committed,
                ends={tp: marks[tp].high for tp in self._consumed},
                dead_letters=sum(marks[tp].records for tp in self._dead),
                group=group,
            )
        )

    async def _cluster(self) -> ClusterView | None:
        try:
            return await self._offsets.cluster(self._topics)
        except KafkaUnavailable as e:
            log.info("dashboard: cluster metadata not read: %s", e)
            return None

    async def _describe(self) -> GroupView:
        """The group; its state UNKNOWN when only this question failed (Kafka answers it from
        the group's coordinator, which a new cluster may not have yet)."""
        try:
            return await self._group.describe()
        except KafkaUnavailable as e:
            log.info("dashboard: group not described: %s", e)
            return GroupView(UNKNOWN, ())

    async def run(self, interval_s: float) -> None:
        """Sample every `interval_s` until cancelled."""
        while True:
            try:
                await self.sample()
            except Exception as e:  # a bug here must not end the task: the page says so
                log.exception("dashboard: sampling failed")
                self.history.failed(f"sampling failed: {e!r}")
            await asyncio.sleep(interval_s)
