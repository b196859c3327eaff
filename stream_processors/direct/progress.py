"""Which offset a partition may commit: the next one to read after every record that is done.

Records of one partition are taken in log order and worked on in lanes (per key), so they end
out of order. The commit may move up to the lowest offset still in flight, or, with nothing in
flight, to one past the last record taken. It never passes a record whose work is not done.
"""

from collections import OrderedDict
from collections.abc import Hashable


class PartitionProgress:
    """One partition's records taken and not done yet, and how far the commit may go."""

    def __init__(self, start: int | None = None) -> None:
        self._in_flight: OrderedDict[int, None] = OrderedDict()  # in offset order
        self._next: int | None = start  # one past the last record taken
        self.committed: int | None = start  # the last offset committed (or started from)
        self._first: int | None = None  # the first record taken: where reading started
        self.rewound_to: int | None = None  # sought back here after a gap in the offsets

    def __len__(self) -> int:
        return len(self._in_flight)

    @property
    def next_offset(self) -> int | None:
        """One past the last record taken (None: none taken yet)."""
        return self._next

    def take(self, offset: int) -> None:
        if self._first is None:
            self._first = offset
        self._in_flight[offset] = None
        self._next = offset + 1

    def done(self, offset: int) -> None:
        self._in_flight.pop(offset, None)

    def committable(self) -> int | None:
        """The offset to commit now, or None when the commit would not move."""
        if self._in_flight:
            offset: int | None = next(iter(self._in_flight))
        else:
            offset = self._next
        floor = self.committed if self.committed is not None else self._first
        if offset is None or (floor is not None and offset <= floor):
            return None  # not past where reading started, or the last commit
        return offset


class Progress:
    """Every owned partition's progress, keyed by topic partition."""

    def __init__(self) -> None:
        self.partitions: dict[Hashable, PartitionProgress] = {}

    def __len__(self) -> int:
        """Records taken and not done, over all partitions."""
        return sum(len(p) for p in self.partitions.values())

    def owns(self, tp: Hashable) -> bool:
        return tp in self.partitions

    def own(self, starts: dict[Hashable, int]) -> None:
        """Own these partitions, reading each from its start (the committed offset)."""
        for tp, start in starts.items():
            self.partitions[tp] = PartitionProgress(start)

    def release(self, tps: set[Hashable]) -> None:
        for tp in tps:
            self.partitions.pop(tp, None)

    def committable(self) -> dict[Hashable, int]:
        """The partitions whose commit may move, and where to."""
        offsets = {}
        for tp, partition in self.partitions.items():
            offset = partition.committable()
            if offset is not None:
                offsets[tp] = offset
        return offsets

    def committed(self, offsets: dict[Hashable, int]) -> None:
        for tp, offset in offsets.items():
            partition = self.partitions.get(tp)
            if partition is not None:
                partition.committed = offset
