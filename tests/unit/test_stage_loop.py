"""The failure policy of the one stage loop, run directly on a fake stream of raw records."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaError, UnknownTopicOrPartitionError
from prometheus_client import REGISTRY

from orders.contracts import codec
from orders.contracts.dead_letters import Headers
from orders.domain.events import AnyOrderEvent
from orders.domain.validation import Limits
from orders.errors import DecodeError, GatewayTimeout, StoreUnavailable
from orders.status_store.memory import InMemoryStatusStore
from stream_processors.dead_letters import RecordingDeadLetters
from stream_processors.deps import StageDeps
from stream_processors.gateway import SimulatedGateway
from stream_processors.outbox import RecordingOutbox
from stream_processors.streams import Decode, Handle, StageLoop, backoff, is_transient
from tests.unit.stage_helpers import placed

TOPIC = "t.order-events"
T = TypeVar("T")


@dataclass
class FakeMessage:
    offset: int
    value: bytes | None
    key: bytes | None = b"k"
    topic: str = TOPIC
    partition: int = 3
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class FakeRecord:
    message: FakeMessage


class FakeStream:
    def __init__(self, *messages: FakeMessage) -> None:
        self.messages = messages

    async def events(self) -> AsyncIterator[FakeRecord]:
        for message in self.messages:
            yield FakeRecord(message)


async def run_stage(
    stream: FakeStream, decode: Decode[T], handle: Handle[T], *, stage: str, deps: StageDeps
) -> None:
    """Every record of the fake stream through one StageLoop, one after another."""
    loop = StageLoop(stage, decode, handle, deps)
    async for record in stream.events():
        await loop.process(record.message)


class JournalSink(RecordingDeadLetters):
    """Records dead letters, and their place among handled events, in one shared journal."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        await super().send(key, value, headers)
        self.journal.append(f"dead:{key!r}")


def make_deps(sink: RecordingDeadLetters, max_attempts: int = 3) -> StageDeps:
    async def store() -> InMemoryStatusStore:
        return InMemoryStatusStore()

    return StageDeps(
        outbox=RecordingOutbox(), limits=Limits(), gateway=SimulatedGateway(), payment_attempts=1,
        status_store=store, dead_letters=sink, dlq_max_attempts=max_attempts,
        retry_initial_s=0.001, retry_max_s=0.004,
    )  # fmt: skip


def good(offset: int, order_id: str) -> FakeMessage:
    return FakeMessage(offset, codec.encode(placed(order_id)), key=order_id.encode())


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_poison_record_between_two_good_ones_is_dead_lettered_and_the_rest_handled() -> (
    None
):
    journal: list[str] = []
    sink = JournalSink(journal)

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        journal.append(f"handled:{event.order_id}@{offset}")

    poison = FakeMessage(11, b"\x00not json", key=b"o-poison", headers=[("trace", b"t-1")])
    before = datetime.now(UTC)
    stream = FakeStream(good(10, "o-1"), poison, good(12, "o-2"))
    await run_stage(
        stream, codec.decode_order_event, handle, stage="validation", deps=make_deps(sink)
    )

    assert journal == ["handled:o-1@10", "dead:b'o-poison'", "handled:o-2@12"]
    (letter,) = sink.letters
    assert (letter.key, letter.value) == (b"o-poison", b"\x00not json")  # the original bytes
    failure = letter.failure
    assert failure.stage == "validation"
    assert failure.error_class == "DecodeError"
    assert "Invalid JSON" in failure.error_message
    assert (failure.topic, failure.partition, failure.offset) == (TOPIC, 3, 11)
    assert failure.attempts == 1
    assert before <= failure.first_failed_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert letter.headers[0] == ("trace", b"t-1")  # the original's own headers come first


@pytest.mark.parametrize(
    "value",
    [
        None,
        b'{"type": "OrderShipped", "order_id": "o-1"}',
        codec.encode(placed("o-1")).replace(b'"quantity":2', b'"quantity":-2'),
    ],
    ids=["no value", "unknown type", "schema-invalid"],
)
async def test_every_decode_error_is_dead_lettered_at_once(value: bytes | None) -> None:
    sink = RecordingDeadLetters()
    calls: list[int] = []

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        calls.append(offset)

    stream = FakeStream(FakeMessage(0, value))
    await run_stage(stream, codec.decode_order_event, handle, stage="payment", deps=make_deps(sink))
    assert calls == []
    (letter,) = sink.letters
    assert letter.value == value
    assert (letter.failure.error_class, letter.failure.attempts) == ("DecodeError", 1)


async def test_a_handler_bug_is_retried_max_attempts_times_then_dead_lettered() -> None:
    sink = RecordingDeadLetters()
    attempts: list[str] = []

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        attempts.append(event.order_id)
        if event.order_id == "o-bug":
            raise KeyError("a bug in the handler")

    counted = metric("orderflow_dead_letters_total", stage="fulfilment", error_class="KeyError")
    stream = FakeStream(good(0, "o-bug"), good(1, "o-next"))
    deps = make_deps(sink, max_attempts=4)
    await run_stage(stream, codec.decode_order_event, handle, stage="fulfilment", deps=deps)

    assert attempts == ["o-bug"] * 4 + ["o-next"]
    (letter,) = sink.letters
    assert letter.key == b"o-bug"
    assert letter.failure.error_class == "KeyError"
    assert "a bug in the handler" in letter.failure.error_message
    assert letter.failure.attempts == 4
    after = metric("orderflow_dead_letters_total", stage="fulfilment", error_class="KeyError")
    assert after == counted + 1


@pytest.mark.parametrize(
    "error",
    [StoreUnavailable("redis down"), GatewayTimeout("no answer"), KafkaConnectionError()],
    ids=lambda e: type(e).__name__,
)
async def test_a_transient_failure_is_retried_until_it_succeeds_never_dead_lettered(
    error: Exception,
) -> None:
    sink = RecordingDeadLetters()
    failures_left = 7  # more than dlq_max_attempts: transient failures are not counted
    handled: list[int] = []

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            raise error
        handled.append(offset)

    stream = FakeStream(good(5, "o-1"), good(6, "o-2"))
    await run_stage(
        stream, codec.decode_order_event, handle, stage="projection", deps=make_deps(sink)
    )
    assert failures_left == 0
    assert handled == [5, 6]
    assert sink.letters == []


async def test_a_failed_dead_letter_send_is_retried_before_moving_on() -> None:
    journal: list[str] = []

    class FlakySink(JournalSink):
        failures = 2

        async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
            if self.failures:
                self.failures -= 1
                raise KafkaError("broker gone")
            await super().send(key, value, headers)

    async def handle(event: AnyOrderEvent, offset: int) -> None:
        journal.append(f"handled:{event.order_id}")

    sink = FlakySink(journal)
    stream = FakeStream(FakeMessage(0, b"junk", key=b"bad"), good(1, "o-1"))
    await run_stage(
        stream, codec.decode_order_event, handle, stage="validation", deps=make_deps(sink)
    )
    assert journal == ["dead:b'bad'", "handled:o-1"]


def test_which_failures_are_transient() -> None:
    assert is_transient(StoreUnavailable("x"))
    assert is_transient(GatewayTimeout("x"))
    assert is_transient(KafkaConnectionError())
    assert is_transient(UnknownTopicOrPartitionError())  # retriable in Kafka's own terms
    assert not is_transient(KafkaError("not retriable"))
    assert not is_transient(DecodeError("x"))
    assert not is_transient(ValueError("x"))


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 0.1, 0.5) for n in (1, 2, 3, 4, 1000)] == [0.1, 0.2, 0.4, 0.5, 0.5]
