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

4. A jump in the offsets read from a partition was recorded as a "gap" and counted as acked.
   Our stream topics are neither compacted nor transactional, so they have no gaps: a jump
   means records were fetched and dropped (around a rebalance) without being handled. It is
   logged and not counted, so the commit stops before the missing records and they are read
   again from the committed offset after the next rebalance, instead of being lost.
"""

import logging
from collections.abc import Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

from stream_processors.commits import committable_run

log = logging.getLogger(__name__)


def rewind_targets(committed: Mapping[Any, int | None], is_changelog: Any) -> list[Any]:
    """The stream partitions aiokafka left where they were: committed offset absent or 0."""
    return [tp for tp, offset in committed.items() if not offset and not is_changelog(tp)]


class RewindingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with the four fixes of the module docstring: stale acks and
    offset jumps do not count, commits start at the committed offset and stop below what is in
    flight, and partitions aiokafka left unsought are rewound."""

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
        log.warning(
            "%s: offsets %d..%d were skipped by the fetcher; not counted as handled, they are "
            "read again from the committed offset after the next rebalance",
            tp,
            offset_from,
            offset_to - 1,
        )

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed: Mapping[Any, int] = await super().seek_to_committed()
        targets = rewind_targets(committed, self._is_changelog_tp)
        if targets:
            earliest = await self.earliest_offsets(*targets)
            for tp in targets:
                await self.seek(tp, committed[tp] or earliest.get(tp) or 0)
        return committed


def use_rewinding_consumer(app: Any) -> None:
    """Make `app` (a faust.App that has not created its consumer yet) use RewindingConsumer."""
    app.transport.Consumer = RewindingConsumer
