"""The stages' tables in the direct runtime: a dict per partition in memory, every write also
sent to the table's compacted changelog topic, and caught up from it when a partition is
assigned.

The changelog topics and their records are the Faust workers' (`{group}-{table}-changelog`,
raw key and value, one changelog partition per partition of the table's source topic), so
either runtime can take over the other's state.

A table is read and written by the stages like a Faust table (`get`, `table[key] = value`);
which partition a key belongs to is the partition of the record being worked on
(`CURRENT_PARTITION`, set by the runtime for each record). A write takes effect in memory at
once; its changelog record is sent with the record's other effects (kafka_io.Effects), and the
record counts as done only when the broker acknowledged them all.

A partition's state stays in memory when the partition is revoked: if it comes back, only the
changelog records written since (by the partition's owner meanwhile) are read.
"""

import logging
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from orders.contracts.topics import TopicSpec
from stream_processors.direct.kafka_io import current_effects

log = logging.getLogger(__name__)

CURRENT_PARTITION: ContextVar[int] = ContextVar("orderflow_current_partition")


def changelog_topic(group: str, table: str) -> str:
    return f"{group}-{table}-changelog"


class ChangelogTable:
    """One table: `get` and `[key] = value` in the current record's partition."""

    def __init__(self, name: str, topic: str, source: str, partitions: int) -> None:
        self.name = name
        self.topic = topic  # the changelog topic
        self.source = source  # the topic whose partitions the table's partitions follow
        self.partitions = partitions
        self._data: dict[int, dict[bytes, bytes]] = {}
        self.read_to: dict[int, int] = {}  # per partition: the next changelog offset to read

    def get(self, key: bytes, default: bytes | None = None) -> bytes | None:
        return self._data.get(CURRENT_PARTITION.get(), {}).get(key, default)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        partition = CURRENT_PARTITION.get()
        self._data.setdefault(partition, {})[key] = value
        current_effects().changelog(self, partition, key, value)

    def written(self, partition: int, offset: int) -> None:
        """The broker stored our own changelog record at `offset`: nothing to read up to it."""
        if offset >= self.read_to.get(partition, 0):
            self.read_to[partition] = offset + 1

    def apply(self, partition: int, offset: int, key: bytes, value: bytes | None) -> None:
        """A changelog record read back (recovery)."""
        data = self._data.setdefault(partition, {})
        if value is None:
            data.pop(key, None)  # a tombstone
        else:
            data[key] = value
        self.read_to[partition] = offset + 1

    def reset(self, partition: int) -> None:
        """Forget the partition: it is read again from the changelog's start."""
        self._data.pop(partition, None)
        self.read_to.pop(partition, None)

    def __len__(self) -> int:
        return sum(len(data) for data in self._data.values())


@dataclass(frozen=True)
class TableSpec:
    name: str
    source: str  # the source topic
    partitions: int


class Tables:
    """Every table of the worker, and their catch-up from the changelogs."""

    def __init__(self, group: str, specs: Iterable[TableSpec]) -> None:
        self.by_name = {
            spec.name: ChangelogTable(
                spec.name, changelog_topic(group, spec.name), spec.source, spec.partitions
            )
            for spec in specs
        }

    def __getitem__(self, name: str) -> ChangelogTable:
        return self.by_name[name]

    def topic_specs(self) -> list[TopicSpec]:
        """The changelog topics, compacted, as run_worker creates them before starting."""
        return [
            TopicSpec(table.topic, table.partitions, f"{table.name} table key",
                      {"cleanup.policy": "compact"})
            for table in self.by_name.values()
        ]  # fmt: skip

    async def catch_up(self, reader: AIOKafkaConsumer, assigned: Iterable[TopicPartition]) -> int:
        """Read each table's changelog for the `assigned` source partitions, from where this
        worker stopped reading (or wrote last) to the end. Returns the records read."""
        wanted: dict[TopicPartition, tuple[ChangelogTable, int]] = {}
        for tp in assigned:
            for table in self.by_name.values():
                if table.source == tp.topic:
                    wanted[TopicPartition(table.topic, tp.partition)] = (table, tp.partition)
        if not wanted:
            return 0
        started = time.monotonic()
        ends = await reader.end_offsets(list(wanted))
        todo = {}
        for ctp, (table, partition) in wanted.items():
            start = table.read_to.get(partition, 0)
            if ends[ctp] < start:  # the topic is younger than what we hold: start over
                table.reset(partition)
                start = 0
            if ends[ctp] > start:
                todo[ctp] = start
        read = await _read(reader, todo, ends, {ctp: wanted[ctp] for ctp in todo})
        if read:
            log.info(
                "tables: read %d changelog records of %d partitions in %.2fs",
                read, len(todo), time.monotonic() - started,
            )  # fmt: skip
        return read


async def _read(
    reader: AIOKafkaConsumer,
    starts: Mapping[TopicPartition, int],
    ends: Mapping[TopicPartition, int],
    owners: Mapping[TopicPartition, tuple[ChangelogTable, int]],
) -> int:
    if not starts:
        return 0
    reader.assign(list(starts))
    for ctp, start in starts.items():
        reader.seek(ctp, start)
    pending = set(starts)
    read = 0
    try:
        while pending:
            batches: dict[TopicPartition, list[Any]] = await reader.getmany(timeout_ms=200)
            for ctp, records in batches.items():
                table, partition = owners[ctp]
                for record in records:
                    table.apply(partition, record.offset, record.key, record.value)
                read += len(records)
            for ctp in list(pending):
                if await reader.position(ctp) >= ends[ctp]:
                    pending.discard(ctp)
    finally:
        reader.unsubscribe()
    return read
