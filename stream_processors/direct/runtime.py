"""The direct runtime's consuming loop: records in, stages run, offsets committed.

One aiokafka consumer in the workers' group reads the order log and the stock topic. The loop
takes each record in log order: `arrive` at once (the handler's decode, and what must see a
record as soon as it is read), then its `work` in the lane of its key (stream_processors/
lanes.py: one order's, or one SKU's, records one after another, different keys at once).
A record is done when its work is done and the broker stored its effects (kafka_io.Effects);
the key's next record starts as soon as the work is done and its effects are queued, not
acknowledged, so a hot key (one SKU every order wants) is not paced by produce round trips;
every `commit_interval_s` each partition commits up to its lowest record not done
(progress.py). At most `max_in_flight` records per topic are taken and not done.

Rebalances (aiokafka's listener, awaited by the group's join):

- revoked: stop taking records, let the records in flight finish (at most `drain_s`; the
  rest are cancelled, not committed, and read again by the next owner), commit, forget the
  partitions' progress. Their table state stays in memory (tables.py);
- assigned: catch the tables up from their changelogs for the new partitions, then take
  records again. aiokafka starts each assigned partition at its committed offset.

Records fetched for a partition this worker does not own (any more) are dropped: they are read
again from the committed offset by the owner.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from stream_processors.consume import RecordHandler
from stream_processors.direct.kafka_io import CURRENT_EFFECTS, Effects, Sender
from stream_processors.direct.progress import PartitionProgress, Progress
from stream_processors.direct.tables import CURRENT_PARTITION, Tables
from stream_processors.lanes import Lanes, Release
from stream_processors.metrics import FETCH_GAPS, IN_FLIGHT, WORKER_READY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    commit_interval_s: float
    drain_s: float  # how long a rebalance or a stop lets the records in flight finish


class Feed:
    """One topic's records in flight: its handler, lanes and in-flight limit."""

    def __init__(self, topic: str, handler: RecordHandler, max_in_flight: int) -> None:
        self.topic = topic
        self.handler = handler
        self.lanes = Lanes()
        self.room = asyncio.Semaphore(max_in_flight)
        self.gauge = IN_FLIGHT.labels(topic)


class Runtime:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: Sender,
        reader: AIOKafkaConsumer,
        tables: Tables,
        feeds: list[Feed],
        tuning: Tuning,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.reader = reader  # reads the changelogs when partitions are assigned
        self.tables = tables
        self.feeds = {feed.topic: feed for feed in feeds}
        self.tuning = tuning
        self.progress = Progress()
        self.failure: BaseException | None = None
        self.failed = asyncio.Event()
        self._commit_lock = asyncio.Lock()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._taking = False  # between an assignment (tables caught up) and the next revoke
        self.assigned: set[TopicPartition] = set()

    def listener(self) -> ConsumerRebalanceListener:
        return _Listener(self)

    async def run(self) -> None:
        """Take records until cancelled (the worker stops) or a record's effects fail."""
        committer = asyncio.create_task(self._commit_every(self.tuning.commit_interval_s))
        try:
            while self.failure is None:
                batches = await self.consumer.getmany(timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        if not await self._take(tp, record):
                            break  # sought back: the rest of the batch comes again
        finally:
            committer.cancel()
            await asyncio.wait([committer])

    async def stop(self) -> None:
        """Let the records in flight finish (within drain_s) and commit them."""
        self._taking = False
        await self._drain()
        await self.commit()
        WORKER_READY.set(0)

    # Taking records

    async def _take(self, tp: TopicPartition, record: Any) -> bool:
        """Take `record` (or drop it); False when the partition was sought back instead, so
        the records after it in this batch must not be taken either: they are read again."""
        feed = self.feeds[tp.topic]
        await feed.room.acquire()
        partition = self.progress.partitions.get(tp)  # after the wait: a rebalance may be done
        if not self._taking or partition is None:
            feed.room.release()
            return True
        rewound = partition.rewound_to
        if not self._admit(tp, partition, record.offset):
            feed.room.release()
            return partition.rewound_to == rewound
        partition.take(record.offset)
        self._started(feed)
        effects = Effects()
        CURRENT_PARTITION.set(record.partition)
        CURRENT_EFFECTS.set(effects)
        try:
            arrived = await feed.handler.arrive(record)
        except BaseException:
            self._ended(feed)
            raise
        task = feed.lanes.submit_releasing(  # the task copies this context: partition, effects
            record.key,
            lambda release: self._work(feed, partition, record, arrived, effects, release),
        )
        task.add_done_callback(lambda _: self._ended(feed))  # however it ended, even unstarted
        return True

    def _admit(self, tp: TopicPartition, partition: PartitionProgress, offset: int) -> bool:
        expected = partition.next_offset
        if expected is None or offset == expected:
            return True
        if offset < expected:  # given already
            return False
        if partition.rewound_to == expected:  # read again from there: those offsets do not
            log.warning("%s: offsets %d..%d do not exist (transaction markers or compaction)",
                        tp, expected, offset - 1)  # fmt: skip
            return True
        # A seek drops what the fetcher holds for the partition: the next record it hands over
        # is the expected one, unless that offset does not exist (checked just above).
        FETCH_GAPS.labels(tp.topic).inc()
        log.warning("%s: offsets %d..%d were skipped; reading them again", tp, expected, offset - 1)
        try:
            self.consumer.seek(tp, expected)
        except IllegalStateError:  # no longer assigned: a rebalance is under way
            return False
        partition.rewound_to = expected
        return False

    async def _work(
        self,
        feed: Feed,
        partition: PartitionProgress,
        record: Any,
        arrived: Any,
        effects: Effects,
        release: Release,
    ) -> None:
        # Cancelled (a rebalance or a stop ran out of time): not done, read again by the owner.
        try:
            await feed.handler.work(record, arrived)
            await effects.send_writes(self.producer)
            # The key's next record may start now: its sends queue behind these (the producer
            # keeps each partition's order), and it sees the tables as this one left them.
            # This one is done only once the broker stored its effects.
            release()
            await effects.stored()
        except Exception as exc:  # outside the stages' failure policy: stop the worker
            log.exception("%s[%s]@%s: work failed or effects not stored", record.topic,
                          record.partition, record.offset)  # fmt: skip
            self.failure = self.failure or exc
            self.failed.set()
            return
        partition.done(record.offset)

    def _started(self, feed: Feed) -> None:
        self._in_flight += 1
        self._idle.clear()
        feed.gauge.inc()

    def _ended(self, feed: Feed) -> None:
        feed.gauge.dec()
        feed.room.release()
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()

    # Commits and rebalances

    async def _commit_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.commit()

    async def commit(self) -> None:
        async with self._commit_lock:
            offsets = self.progress.committable()
            if not offsets:
                return
            try:
                await self.consumer.commit(offsets)
            except KafkaError as exc:  # a rebalance under way: the next owner reads them again
                log.warning("commit of %d partitions failed: %r", len(offsets), exc)
                return
            self.progress.committed(offsets)

    async def _drain(self) -> None:
        try:
            await asyncio.wait_for(self._idle.wait(), self.tuning.drain_s)
        except TimeoutError:
            log.warning("%d records still in flight after %.0fs: cancelled, read again by the "
                        "next owner", self._in_flight, self.tuning.drain_s)  # fmt: skip
            for feed in self.feeds.values():
                await feed.lanes.cancel_all()

    async def revoked(self, revoked: set[TopicPartition]) -> None:
        WORKER_READY.set(0)
        self._taking = False
        self.assigned = set()
        await self._drain()
        await self.commit()
        self.progress.release(set(self.progress.partitions))

    async def assigned_partitions(self, assigned: set[TopicPartition]) -> None:
        self.progress.release(set(self.progress.partitions))
        starts = await self._prepare(assigned)
        # aiokafka starts fetching the new partitions while this callback runs, and the loop
        # drops what it meets until the tables are caught up: read from the committed offset.
        for tp, offset in starts.items():
            self.consumer.seek(tp, offset)
        self.progress.own(dict(starts))
        self.assigned = set(assigned)
        self._taking = True
        WORKER_READY.set(1)
        log.info("Worker ready: %d partitions (%s)", len(assigned), _describe(assigned))

    async def _prepare(self, assigned: set[TopicPartition]) -> dict[TopicPartition, int]:
        """Catch the tables up and find where each partition starts, retrying until Kafka
        answers: until then the worker holds its partitions without taking records."""
        attempt = 0
        while True:
            try:
                await self.tables.catch_up(self.reader, assigned)
                return await self._starts(assigned)
            except (KafkaError, OSError) as exc:
                attempt += 1
                delay = min(0.1 * 2**attempt, 5.0)
                log.warning("assignment not ready (%r), retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)

    async def _starts(self, assigned: set[TopicPartition]) -> dict[TopicPartition, int]:
        """Where each partition's reading starts: its committed offset, else the log's start
        (auto_offset_reset="earliest")."""
        starts: dict[TopicPartition, int] = {}
        for tp in assigned:
            committed = await self.consumer.committed(tp)
            if committed is not None:
                starts[tp] = committed
        unknown = [tp for tp in assigned if tp not in starts]
        if unknown:
            starts.update(await self.consumer.beginning_offsets(unknown))
        return starts


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runtime.revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.runtime.assigned_partitions(assigned)


def _describe(tps: set[TopicPartition]) -> str:
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return ", ".join(f"{topic} {sorted(parts)}" for topic, parts in sorted(by_topic.items()))


Periodic = Callable[[], Awaitable[None]]


async def every(interval_s: float, job: Periodic, name: str) -> None:
    """Run `job` every `interval_s` seconds; a failure is logged, the next run happens."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except Exception:
            log.exception("%s failed", name)
