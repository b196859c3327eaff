"""The Kafka consumer the workers run: Faust's aiokafka consumer with fixes for events that
faust-streaming 0.15.3 loses around a rebalance (found with tests/e2e/test_recovery.py, where an
order placed while the restarted workers rebalanced stayed unknown or stuck).

1. Stale events were committed. A stream skips an event fetched in an earlier generation, or one
   it meets while the flow is suspended for a rebalance, and *acks* it. An ack is what lets the
   committed offset move past an event, so a stage that had the event in its buffer never handled
   it, and nothing ever delivered it again. Here such an ack only releases the event (so shutdown
   and rebalances do not wait for it); it does not count towards the commit, and the event is
   fetched again from the committed offset in the new generation. (That is Faust's pure-Python
   stream path; its Cython iterator, which the workers use when it is built, does not ack a
   skipped event at all.)

2. After every rebalance Faust discards the records it fetched for the old assignment and seeks
   each partition back to its committed offset (`perform_seek` -> aiokafka `seek_to_committed`).
   aiokafka only seeks when the committed offset is above 0, so a partition with no committed
   offset yet (a new or an idle partition), or one committed at 0, kept its fetch position: the
   records fetched and discarded during the rebalance were never delivered to any agent. Seen as an
   order that stayed unknown after every worker was restarted (tests/e2e/test_recovery.py).

   Here such partitions are sought to where consuming would begin without a fetch position: the
   committed offset 0, or the earliest offset still in the log (`auto_offset_reset="earliest"`).
   Records that were already handled are handled again: every stage is idempotent under
   redelivery. Table changelog partitions are left to Faust's recovery, which seeks them itself.

3. A record at the head of the commit could be skipped (faust-streaming issue #606, an
   off-by-one; stream_processors/commits.py): the commit now starts at the committed offset
   and stops below the lowest record still in flight.

4. Records the fetcher skipped were never read again. Faust drops fetched records in several
   places around a rebalance (a fetch batch abandoned when the generation changes or the flow
   stops, a partition paused mid-batch, a callback cut short by a suspended flow), while
   aiokafka's fetch position has already moved past them; and Faust's "read offset", which
   should notice the jump, means "last read" after a record and "next to read" after a seek,
   so a skip of the one record at the committed offset went unseen. Such a record held its
   partition's commit (fix 3) until the next rebalance: its order stalled.

   Here the consumer keeps, per stream partition, the next offset its streams must be given
   (`Admission`, stream_processors/admission.py): set by every seek to the committed offset,
   moved on by each record it passes. A record past it means records were skipped: it is
   dropped and the partition is sought back to the missing offset at once (logged and counted
   in `orderflow_worker_fetch_gaps`), so the skipped records come next, in order. A record
   before it was given already and is dropped. Our stream topics are neither compacted nor
   transactional, so their offsets have no legitimate gaps.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

from stream_processors import fetch_mode
from stream_processors.admission import Admission
from stream_processors.commits import committable_run
from stream_processors.fetch_mode import FetchMode
from stream_processors.metrics import FETCH_GAPS

log = logging.getLogger(__name__)


def rewind_targets(committed: Mapping[Any, int | None], is_changelog: Any) -> list[Any]:
    """The stream partitions aiokafka left where they were: committed offset absent or 0."""
    return [tp for tp, offset in committed.items() if not offset and not is_changelog(tp)]


class RewindingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with the four fixes of the module docstring: stale acks do
    not count, commits start at the committed offset and stop below what is in flight,
    partitions aiokafka left unsought are rewound, and records the fetcher skipped are read
    again at once."""

    _admission: Admission | None = None

    @property
    def admission(self) -> Admission:
        if self._admission is None:
            self._admission = Admission()
        return self._admission

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[Any, Any]]:  # noqa: ASYNC109 (Faust's signature)
        admission = self.admission
        async for tp, message in super().getmany(timeout):
            if self._is_changelog_tp(tp):  # table recovery reads changelogs its own way
                yield tp, message
                continue
            verdict = admission.admit(tp, message.offset)
            if verdict.rewind_to is not None:
                self._rewind(tp, verdict.rewind_to, message.offset)
            elif verdict.reseek:
                log.warning("%s: records arrive with no seek since assignment; reseeking", tp)
                self._in_background(self.perform_seek())
            if verdict.admitted:
                # Faust's drain loop compares with its read offset: make it agree, so it
                # neither drops this record nor sees a gap of its own.
                self._read_offset[tp] = message.offset
                yield tp, message

    def _rewind(self, tp: Any, offset: int, seen: int) -> None:
        log.warning(
            "%s: offsets %d..%d were skipped by the fetcher; seeking back to %d",
            tp, offset, seen - 1, offset,
        )  # fmt: skip
        FETCH_GAPS.labels(tp.topic).inc()
        self._in_background(self._seek_back(tp, offset))

    _background: set[asyncio.Future[None]] | None = None

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # The fetch loop must not wait for a seek: every other partition would wait with it.
        if self._background is None:
            self._background = set()
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _seek_back(self, tp: Any, offset: int) -> None:
        try:
            await self.seek(tp, offset)
        except Exception as exc:  # not assigned any more, or the consumer stops: no harm
            log.warning("%s: seeking back to %d failed: %r", tp, offset, exc)
            self.admission.forget([tp])
            return
        self.admission.sought(tp, offset)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.admission.forget(revoked)
        await super().on_partitions_revoked(revoked)

    def ack(self, message: Any) -> bool:
        if self._is_stale(message):
            message.acked = True  # released: nothing waits for it any more
            self._unacked_messages.discard(message)
            return False  # not recorded: the committed offset stays before it
        acked: bool = super().ack(message)
        return acked

    def _is_stale(self, message: Any) -> bool:
        """Fetched in an earlier generation, or met while a rebalance suspends the flow: a
        stream skips such an event unhandled."""
        app = self.app
        return bool(
            message.generation_id != app.consumer_generation_id or not app.flow_control.is_active()
        )

    _floors: dict[Any, int] | None = None  # during a commit: _in_flight_floors(), computed once

    def _filter_committable_offsets(self, tps: Any) -> dict[Any, int]:
        # One pass over the records in flight per commit, not one per partition.
        self._floors = self._in_flight_floors()
        try:
            offsets: dict[Any, int] = super()._filter_committable_offsets(tps)
            return offsets
        finally:
            self._floors = None

    def _new_offset(self, tp: Any) -> int | None:
        acked: list[int] = self._acked[tp]
        acked.sort()
        floors = self._floors if self._floors is not None else self._in_flight_floors()
        run = committable_run(acked, self._committed_offset[tp], floors.get(tp))
        if not run:
            return None
        del acked[: len(run)]
        self._acked_index[tp].difference_update(run)
        return run[-1] + 1

    def _in_flight_floors(self) -> dict[Any, int]:
        """Per partition, the lowest offset a stream took in this generation and has not
        acked yet."""
        generation = self.app.consumer_generation_id
        floors: dict[Any, int] = {}
        for message in list(self._unacked_messages):
            if message.acked or message.generation_id != generation:
                continue
            tp, offset = message.tp, message.offset
            if offset < floors.get(tp, offset + 1):
                floors[tp] = offset
        return floors

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        # Faust counts a gap as acked; getmany() above gives the streams no gaps, so this
        # would be a skip it missed: never count it (the commit then waits before it).
        log.warning("%s: offsets %d..%d not counted as handled", tp, offset_from, offset_to - 1)

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed: Mapping[Any, int] = await super().seek_to_committed()
        positions = {tp: offset for tp, offset in committed.items() if offset}
        targets = rewind_targets(committed, self._is_changelog_tp)
        if targets:
            earliest = await self.earliest_offsets(*targets)
            positions.update({tp: committed[tp] or earliest.get(tp) or 0 for tp in targets})
        for tp, offset in positions.items():
            if self._is_changelog_tp(tp):
                continue
            # Seek (again): records the fetcher handed over while aiokafka looked up the
            # committed offsets were dropped (no position yet), so they must be read again.
            self.admission.sought(tp, offset)
            await self.seek(tp, offset)
        return committed


class TunedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread, with how long the broker may hold a fetch made a
    setting. Faust asks for at least 1 byte and lets the broker hold a fetch for 1.5 s: under
    load every fetch then comes back with one or two records, and the fetch requests and their
    answers were the largest single cost of a worker (profiled with py-spy under `orderflow
    bench`). While records flow, a fetch asks for `fetch_min_bytes` with a short hold and
    gathers a few records; after an empty fetch the next one is a long poll
    (stream_processors/fetch_mode.py), so an idle worker does not poll the broker every few ms."""

    fetch_mode = FetchMode.from_settings(1, 1500, 1500)

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands these to its Fetcher when the consumer starts (not yet).
        consumer._fetch_min_bytes = self.fetch_mode.batching.min_bytes
        consumer._fetch_max_wait_ms = self.fetch_mode.batching.max_wait_ms
        return consumer

    async def on_start(self) -> None:
        await super().on_start()
        fetcher = getattr(self._consumer, "_fetcher", None)
        if fetcher is not None:  # a worker's consumer (a client-only one has no fetcher)
            fetch_mode.install(fetcher, self.fetch_mode)


def use_rewinding_consumer(app: Any, *, fetch: FetchMode | None = None) -> None:
    """Make `app` (a faust.App that has not created its consumer yet) use RewindingConsumer,
    with its fetches tuned as TunedConsumerThread says."""
    thread = type(
        "OrderflowConsumerThread",
        (TunedConsumerThread,),
        {"fetch_mode": fetch or TunedConsumerThread.fetch_mode},
    )

    def new_thread(consumer: Any) -> Any:
        return thread(consumer, loop=consumer.loop, beacon=consumer.beacon)

    app.transport.Consumer = type(
        "OrderflowConsumer", (RewindingConsumer,), {"_new_consumer_thread": new_thread}
    )
