"""The event log as a replay reads it: partitions read from chosen offsets, in batches.

Methods block (they wait on the broker): callers run them off the event loop.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple, Protocol


class Record(NamedTuple):
    partition: int
    offset: int
    value: bytes | None


class LogSource(Protocol):
    def partitions(self) -> list[int]:
        """The topic's partitions; ReplayError when there is no such topic."""
        ...

    def watermarks(self) -> dict[int, tuple[int, int]]:
        """Per partition: (first offset still kept, end offset = the next offset written)."""
        ...

    def offsets_after(self, at: datetime) -> dict[int, int]:
        """Per partition: the first offset timestamped after `at`, or the end offset."""
        ...

    def assign(self, positions: Mapping[int, int]) -> None:
        """Read these partitions (only) from these offsets."""
        ...

    def pause(self, partition: int) -> None:
        """Stop fetching `partition` (it reached its end offset)."""
        ...

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        """Up to `max_records` records, in log order within each partition; may be empty."""
        ...

    def position(self, partition: int) -> int | None:
        """The offset the next record of `partition` will have, past anything the source
        skipped (transaction markers); None when unknown."""
        ...

    def close(self) -> None: ...
