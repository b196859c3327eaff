"""The projection's grouped writes (stream_processors/status_writer.py)."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orders.domain.status import OrderStatus
from orders.domain.validation import Limits
from orders.errors import StoreUnavailable
from orders.status_store.memory import InMemoryStatusStore
from orders.status_store.model import StatusChange
from stream_processors.dead_letters import RecordingDeadLetters
from stream_processors.deps import StageDeps
from stream_processors.gateway import SimulatedGateway
from stream_processors.outbox import RecordingOutbox
from stream_processors.status_writer import StatusWriter
from tests.unit.stage_helpers import eventually


@dataclass
class Message:
    offset: int
    key: bytes = b"k"
    value: bytes = b"{}"
    topic: str = "t.order-events"
    partition: int = 0
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class CountingStore(InMemoryStatusStore):
    def __init__(self, outage: int = 0, broken: str | None = None) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.outage = outage
        self.broken = broken

    async def apply_all(self, changes: Sequence[StatusChange]) -> int:
        self.calls.append(len(changes))
        if self.outage:
            self.outage -= 1
            raise StoreUnavailable("redis down")
        return await super().apply_all(changes)

    async def apply(self, change: StatusChange) -> bool:
        if change.order_id == self.broken:
            raise ValueError("a change this store cannot take")
        return await super().apply(change)


def pending(order_id: str, version: int) -> StatusChange:
    return StatusChange(
        order_id=order_id, status=OrderStatus.PENDING, version=version, at=datetime.now(UTC)
    )


def writer(store: CountingStore) -> tuple[StatusWriter, RecordingDeadLetters]:
    letters = RecordingDeadLetters()

    async def get() -> CountingStore:
        return store

    deps = StageDeps(
        outbox=RecordingOutbox(), limits=Limits(), gateway=SimulatedGateway(),
        payment_attempts=1, status_store=get, dead_letters=letters,
        retry_initial_s=0.001, retry_max_s=0.002,
    )  # fmt: skip
    return StatusWriter(deps), letters


async def test_changes_submitted_together_go_in_one_write() -> None:
    store = CountingStore()
    w, _ = writer(store)
    first = w.submit(Message(1), pending("o1", 1))
    rest = [w.submit(Message(i), pending(f"o{i}", i)) for i in range(2, 6)]
    await asyncio.gather(first, *rest)
    assert store.calls == [5]  # one Redis call for the five
    assert set(store.orders) == {f"o{i}" for i in range(1, 6)}


async def test_a_store_outage_is_waited_out_and_nothing_is_done_before_it_is_stored() -> None:
    store = CountingStore(outage=4)
    w, letters = writer(store)
    done = w.submit(Message(1), pending("o1", 1))
    await done
    assert "o1" in store.orders
    assert store.calls == [1, 1, 1, 1, 1]
    assert letters.letters == []


async def test_a_change_that_fails_otherwise_is_dead_lettered_alone() -> None:
    store = CountingStore(broken="bad")
    store.apply_all = _fails_as_group(store)  # type: ignore[method-assign]
    w, letters = writer(store)
    await asyncio.gather(
        w.submit(Message(1, key=b"good"), pending("good", 1)),
        w.submit(Message(2, key=b"bad"), pending("bad", 2)),
    )
    assert "good" in store.orders
    assert "bad" not in store.orders
    (letter,) = letters.letters
    assert (letter.key, letter.failure.stage) == (b"bad", "projection")


async def test_closing_leaves_unwritten_changes_not_done() -> None:
    store = CountingStore(outage=1000)
    w, _ = writer(store)
    done = w.submit(Message(1), pending("o1", 1))
    await eventually(lambda: len(store.calls) >= 2)  # the write is failing and being retried
    await w.close()
    assert done.cancelled()


def _fails_as_group(store: CountingStore):  # type: ignore[no-untyped-def]
    async def apply_all(changes: Sequence[StatusChange]) -> int:
        raise ValueError("one of these is bad")

    return apply_all
