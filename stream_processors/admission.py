"""Which fetched records a worker's streams are given: the pure rule behind
RewindingConsumer.getmany (stream_processors/consumer.py, fix 4).

Per stream partition it keeps the next offset the streams must be given. A seek sets it (to
the committed offset after a rebalance, or back to records that were skipped); each record
given moves it on by one. So the streams see every offset once, in order, from the committed
offset on:

- the expected offset: given;
- an offset below it: given already, dropped;
- an offset above it: the fetcher skipped records. Dropped, and the caller is told to seek
  back to the expected offset. Right after any seek the fetcher can still hand over records
  from its old position, so for `settle_s` offsets above the expected one are dropped without
  asking again (until the expected record arrives, or the time is up);
- a partition with no seek since it was assigned: dropped (Faust seeks every stream partition
  to its committed offset before it resumes the flow). Should that not happen within
  `settle_s`, the caller is told to seek all partitions to their committed offsets.
"""

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    rewind_to: int | None = None  # seek this partition back to here
    reseek: bool = False  # seek every partition to its committed offset


ADMITTED = Verdict(True)
DROPPED = Verdict(False)


class Admission:
    def __init__(self, settle_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_s = settle_s
        self.clock = clock
        self._next: dict[Hashable, int] = {}
        self._settling: dict[Hashable, float] = {}  # since when a seek is taking effect
        self._unknown: dict[Hashable, float] = {}  # since when records come with no seek

    def expected(self, tp: Hashable) -> int | None:
        return self._next.get(tp)

    def sought(self, tp: Hashable, offset: int) -> None:
        """The partition's fetch position was set to `offset`."""
        self._next[tp] = offset
        self._settling[tp] = self.clock()
        self._unknown.pop(tp, None)

    def forget(self, tps: Iterable[Hashable]) -> None:
        """The partitions are not ours any more (or their position is unknown)."""
        for tp in tps:
            self._next.pop(tp, None)
            self._settling.pop(tp, None)
            self._unknown.pop(tp, None)

    def admit(self, tp: Hashable, offset: int) -> Verdict:
        expected = self._next.get(tp)
        if expected is None:
            return self._without_position(tp)
        if offset == expected:
            self._next[tp] = offset + 1
            self._settling.pop(tp, None)
            return ADMITTED
        if offset < expected:
            return DROPPED
        if self._recent(self._settling, tp):
            return DROPPED
        self._settling[tp] = self.clock()
        return Verdict(False, rewind_to=expected)

    def _without_position(self, tp: Hashable) -> Verdict:
        if tp not in self._unknown:
            self._unknown[tp] = self.clock()
        if self._recent(self._unknown, tp):
            return DROPPED
        self._unknown[tp] = self.clock()
        return Verdict(False, reseek=True)

    def _recent(self, since: dict[Hashable, float], tp: Hashable) -> bool:
        started = since.get(tp)
        return started is not None and self.clock() - started < self.settle_s
