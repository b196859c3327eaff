"""Fakes of the Kafka clients the direct runtime uses (its aiokafka consumers, its producer):
records go in by hand, sends and commits are remembered."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Stored:
    topic: str
    partition: int
    offset: int


class FakeConsumer:
    """getmany() hands over what `feed` queued; commit() and seek() are recorded."""

    def __init__(self) -> None:
        self._batches: asyncio.Queue[dict[TopicPartition, list[Record]]] = asyncio.Queue()
        self.commits: list[dict[TopicPartition, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.committed_offsets: dict[TopicPartition, int] = {}  # what the group committed

    def feed(self, *records: Record) -> None:
        batch: dict[TopicPartition, list[Record]] = {}
        for record in records:
            batch.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        self._batches.put_nowait(batch)

    async def getmany(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Record]]:
        try:
            return await asyncio.wait_for(self._batches.get(), timeout_ms / 1000)
        except TimeoutError:
            return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_offsets.get(tp)

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: 0 for tp in tps}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: 0 for tp in tps}  # as a reader of empty changelogs

    def last_commit(self, tp: TopicPartition) -> int | None:
        for commit in reversed(self.commits):
            if tp in commit:
                return commit[tp]
        return None


@dataclass
class FakeProducer:
    """send() queues and returns the delivery; `hold` keeps deliveries pending, `fail` fails."""

    sent: list[tuple[str, bytes | None, bytes | None, int | None]] = field(default_factory=list)
    hold: bool = False
    fail: BaseException | None = None
    pending: list[asyncio.Future[Stored]] = field(default_factory=list)
    headers: list[list[tuple[str, bytes]]] = field(default_factory=list)  # each send's
    _offsets: dict[tuple[str, int], int] = field(default_factory=dict)

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Any = None,
    ) -> asyncio.Future[Stored]:
        self.sent.append((topic, key, value, partition))
        self.headers.append(list(headers or ()))
        part = partition or 0
        offset = self._offsets.get((topic, part), 0)
        self._offsets[(topic, part)] = offset + 1
        delivery: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        if self.fail is not None:
            delivery.set_exception(self.fail)
        elif self.hold:
            self.pending.append(delivery)
        else:
            delivery.set_result(Stored(topic, part, offset))
        return delivery

    def release(self) -> None:
        for delivery in self.pending:
            if not delivery.done():
                delivery.set_result(Stored("?", 0, 0))
        self.pending.clear()
