"""The reprocess plan, per partition: where the group stands, where it would restart, and how
many records that re-reads (pure: the offsets are looked up elsewhere).

A rewind never moves a committed offset forward: that would skip records nobody processed.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

EARLIEST = "earliest"


@dataclass(frozen=True)
class Start:
    """Where to start again: an offset (every partition), a time, or each partition's start."""

    offset: int | None = None
    at: datetime | None = None

    @property
    def timestamp_ms(self) -> int | None:
        return round(self.at.timestamp() * 1000) if self.at else None

    def __str__(self) -> str:
        if self.at is not None:
            return self.at.isoformat()
        return EARLIEST if self.offset is None else f"offset {self.offset}"


def parse_start(text: str) -> Start:
    """`earliest`, an offset (`1200`), or an ISO 8601 time (`2026-11-21T02:45:00Z`; a time
    without a zone is UTC). ValueError otherwise."""
    text = text.strip()
    if text == EARLIEST:
        return Start()
    if text.isdigit():
        return Start(offset=int(text))
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an offset, ISO 8601 time or {EARLIEST!r}: {text!r}") from None
    return Start(at=at if at.tzinfo else at.replace(tzinfo=UTC))


@dataclass(frozen=True)
class PartitionState:
    partition: int
    committed: int | None  # the group's committed offset (next to read); None: none yet
    low: int  # first offset still on the log
    end: int  # next offset to be written
    at_time: int | None = None  # first offset at or after the start time (None: none: `end`)


@dataclass(frozen=True)
class PartitionPlan:
    partition: int
    committed: int | None
    new: int | None  # the offset to commit; None: left as it is
    reread: int  # records the group reads again
    note: str = ""


def target(state: PartitionState, start: Start) -> int:
    """The offset `start` names in this partition, within what is on the log."""
    if start.at is not None:
        wanted = state.end if state.at_time is None else state.at_time
    elif start.offset is not None:
        wanted = start.offset
    else:
        wanted = state.low
    return min(max(wanted, state.low), state.end)


def plan_partition(state: PartitionState, start: Start) -> PartitionPlan:
    committed = state.committed
    if committed is None:  # Faust's auto.offset.reset is "earliest"
        note = "" if state.end == state.low else "no committed offset: read from its start anyway"
        return PartitionPlan(state.partition, None, None, 0, note)
    new = target(state, start)
    if new >= committed:
        note = "" if new == committed else "start is past the committed offset: nothing to re-read"
        return PartitionPlan(state.partition, committed, None, 0, note)
    return PartitionPlan(state.partition, committed, new, committed - new)


def plan(states: list[PartitionState], start: Start) -> list[PartitionPlan]:
    return [plan_partition(state, start) for state in sorted(states, key=lambda s: s.partition)]
