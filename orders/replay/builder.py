"""Reads the order event log from a build's positions to given end offsets and writes the
status changes into the build's table.

The same pure `status_change(event, offset)` and the same Lua compare-and-set as the live
projection, in the log's order within each partition (an order's events share a partition),
so a rebuilt table equals what the projection wrote, and building twice gives the same table.
Records the codec cannot decode are skipped and counted: the stages dead-lettered them.
"""

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orders.contracts.codec import decode_order_event
from orders.errors import DecodeError, ReplayError
from orders.replay.build import Build, Reporter, lag
from orders.replay.redis_writer import TableWriter
from orders.replay.source import LogSource, Record
from orders.status_store.model import StatusChange
from orders.status_store.projection import status_change

POLL_TIMEOUT_S = 0.5
STALL_S = 60.0  # no record at all for this long while some are due: give up


@dataclass
class Batch:
    changes: list[StatusChange] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)  # partition -> next offset
    read: int = 0
    skipped: int = 0


class ReplayStopped(ReplayError):
    """The build stopped after the batches it was allowed (a hook for tests); resumable."""


class StopRequest:
    """Set from outside (Ctrl-C): the build stops, resumably, after the batch it is writing."""

    def __init__(self) -> None:
        self.reason = ""

    def request(self, reason: str) -> None:
        self.reason = reason


class Builder:
    def __init__(
        self,
        source: LogSource,
        writer: TableWriter,
        build: Build,
        *,
        batch: int,
        reporter: Reporter,
        stop_after_batches: int | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        self.source = source
        self.stop = stop or StopRequest()
        self.writer = writer
        self.build = build
        self.batch = batch
        self.reporter = reporter
        self.stop_after_batches = stop_after_batches
        self.batches = 0

    async def end_offsets(self) -> dict[int, int]:
        marks = await asyncio.to_thread(self.source.watermarks)
        return {p: high for p, (_, high) in marks.items()}

    async def catch_up(self, ends: Mapping[int, int], label: str) -> None:
        """Read every partition from the build's position up to (not including) its end."""
        positions = self.build.positions
        for partition in ends:
            positions.setdefault(partition, 0)  # (the consumer starts at the first kept offset)
        due = {p: end for p, end in ends.items() if positions[p] < end}
        self.reporter.start_pass(label, lag(positions, ends))
        try:
            if due:
                await asyncio.to_thread(self.source.assign, {p: positions[p] for p in due})
                await self._read(due)
        finally:
            self.reporter.end_pass()

    async def _read(self, due: dict[int, int]) -> None:
        # One batch is written while the next is fetched and decoded; writes stay in order.
        writing: asyncio.Task[None] | None = None
        quiet_since = time.monotonic()
        try:
            while due:
                records = await asyncio.to_thread(self.source.poll, self.batch, POLL_TIMEOUT_S)
                if records:
                    batch = self._prepare(records, due)
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(
                        self._write(batch, lag(self.build.positions, due))
                    )
                    quiet_since = time.monotonic()
                else:
                    await self._skip_unreadable(due)
                    if time.monotonic() - quiet_since > STALL_S:
                        raise ReplayError(f"no records for {STALL_S:.0f}s from partitions {due}")
                for partition in [p for p, end in due.items() if self.build.positions[p] >= end]:
                    await asyncio.to_thread(self.source.pause, partition)
                    del due[partition]
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writing

    def _prepare(self, records: Sequence[Record], due: Mapping[int, int]) -> "Batch":
        """The status changes of the records that are due, and the positions after them."""
        positions = self.build.positions
        batch = Batch()
        for partition, offset, value in records:
            end = due.get(partition)
            if end is None or not positions[partition] <= offset < end:
                continue  # fetched before its partition was paused; read again next pass
            positions[partition] = batch.positions[partition] = offset + 1
            batch.read += 1
            try:
                change = status_change_of(value, offset)
            except DecodeError:
                batch.skipped += 1
                continue
            if change is not None:
                batch.changes.append(change)
        return batch

    async def _write(self, batch: "Batch", lag_after: int) -> None:
        await self.writer.write(
            self.build, batch.changes, batch.positions, batch.read, batch.skipped
        )
        self.build.events += batch.read
        self.build.skipped += batch.skipped
        self.reporter.advance(batch.read, lag_after)
        self.batches += 1
        if self.stop_after_batches is not None and self.batches >= self.stop_after_batches:
            raise ReplayStopped(f"stopped after {self.batches} batches, as asked")
        if self.stop.reason:
            raise ReplayStopped(self.stop.reason)

    async def _skip_unreadable(self, due: Mapping[int, int]) -> None:
        """Move past offsets that hold nothing to read (transaction markers, say): the
        consumer's position is beyond them while no record came."""
        for partition, end in due.items():
            position = await asyncio.to_thread(self.source.position, partition)
            if position is not None and position > self.build.positions[partition]:
                self.build.positions[partition] = min(position, end)


def status_change_of(value: bytes | None, offset: int) -> StatusChange | None:
    """The status change a raw record makes; DecodeError for one the codec refuses."""
    return status_change(decode_order_event(value), offset)
