"""The direct runtime's loop (stream_processors/direct/runtime.py) on fake Kafka clients:
lanes, commits that never pass a record not done, rebalances, effects and failures."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError

from stream_processors.direct.kafka_io import KafkaOutbox
from stream_processors.direct.runtime import Feed, Runtime, Tuning
from stream_processors.direct.tables import Tables, TableSpec
from tests.unit.direct_fakes import FakeConsumer, FakeProducer, Record
from tests.unit.stage_helpers import eventually

TOPIC = "t.orders"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


class Handler:
    """Records what arrives and what is worked on; work on a key in `gates` waits for it."""

    def __init__(self, tables: Tables | None = None, outbox: KafkaOutbox | None = None) -> None:
        self.arrived: list[int] = []
        self.started: list[int] = []
        self.worked: list[int] = []
        self.gates: dict[bytes, asyncio.Event] = {}
        self.tables = tables
        self.outbox = outbox

    async def arrive(self, message: Any) -> Any:
        self.arrived.append(message.offset)
        return message.value

    async def work(self, message: Any, arrived: Any) -> None:
        self.started.append(message.offset)
        gate = self.gates.get(message.key)
        if gate is not None:
            await gate.wait()
        if self.tables is not None:
            self.tables["sagas"][message.key] = arrived
        self.worked.append(message.offset)


def record(offset: int, key: bytes = b"k", partition: int = 0) -> Record:
    return Record(TOPIC, partition, offset, key, b"v%d" % offset)


@asynccontextmanager
async def running(
    handler: Handler, producer: FakeProducer | None = None, tables: Tables | None = None,
    drain_s: float = 5.0, consumer: FakeConsumer | None = None,
) -> AsyncIterator[tuple[Runtime, FakeConsumer]]:  # fmt: skip
    consumer = consumer or FakeConsumer()
    runtime = Runtime(
        consumer,  # type: ignore[arg-type]
        producer or FakeProducer(),  # type: ignore[arg-type]
        FakeConsumer(),  # type: ignore[arg-type]  # the changelogs' reader: all empty
        tables or Tables("g", []),
        [Feed(TOPIC, handler, max_in_flight=100)],
        Tuning(commit_interval_s=3600, drain_s=drain_s),
    )
    await runtime.assigned_partitions({P0, P1})
    task = asyncio.create_task(runtime.run())
    try:
        yield runtime, consumer
    finally:
        task.cancel()
        await asyncio.wait([task])


async def test_one_keys_records_one_after_another_and_the_commit_waits_for_the_slowest() -> None:
    handler = Handler()
    handler.gates[b"slow"] = asyncio.Event()
    async with running(handler) as (runtime, consumer):
        consumer.feed(record(0, b"slow"), record(1, b"slow"), record(2, b"fast"))
        await eventually(lambda: handler.worked == [2])
        assert handler.started == [0, 2]  # offset 1 waits behind 0 in its key's lane
        await runtime.commit()
        assert consumer.last_commit(P0) is None  # 0 is not done: nothing committed
        handler.gates[b"slow"].set()
        await eventually(lambda: sorted(handler.worked) == [0, 1, 2])
        await runtime.commit()
        assert consumer.last_commit(P0) == 3


async def test_records_of_partitions_not_owned_are_dropped_and_a_gap_is_read_again() -> None:
    handler = Handler()
    async with running(handler) as (runtime, consumer):
        runtime.progress.release({P1})
        consumer.feed(record(0, partition=1))
        consumer.feed(record(0), record(1), record(5))  # 2..4 never came
        await eventually(lambda: consumer.seeks[-1] == (P0, 2))
        assert handler.worked == [0, 1]
        consumer.feed(record(1), record(2))  # read again: 1 was given already
        await eventually(lambda: handler.worked == [0, 1, 2])


async def test_offsets_that_are_still_missing_after_reading_again_are_passed_over() -> None:
    # Transaction markers or compaction leave real gaps: seek back once, then move on.
    handler = Handler()
    async with running(handler) as (runtime, consumer):
        consumer.feed(record(0), record(3))
        await eventually(lambda: consumer.seeks[-1] == (P0, 1))
        consumer.feed(record(3), record(4))  # 1 and 2 do not exist
        await eventually(lambda: handler.worked == [0, 3, 4])
        assert consumer.seeks.count((P0, 1)) == 1
        await runtime.commit()
        assert consumer.last_commit(P0) == 5


async def test_after_a_seek_the_rest_of_the_batch_waits_to_be_read_again() -> None:
    # The records after a gap in the same batch must not pass as "offsets that do not
    # exist": 5 and 6 are real, and come back once the partition is read from 1 again.
    handler = Handler()
    async with running(handler) as (runtime, consumer):
        consumer.feed(record(0), record(5), record(6))  # 1..4 skipped, in one batch
        await eventually(lambda: consumer.seeks[-1] == (P0, 1))
        consumer.feed(record(1), record(5), record(6))  # read again from 1
        await eventually(lambda: consumer.seeks[-1] == (P0, 2))  # once more, from 2
        assert handler.worked == [0, 1]
        consumer.feed(record(5), record(6))  # 2..4 do not exist
        await eventually(lambda: handler.worked == [0, 1, 5, 6])
        await runtime.commit()
        assert consumer.last_commit(P0) == 7


async def test_a_record_is_done_only_once_the_broker_stored_its_effects() -> None:
    producer = FakeProducer(hold=True)
    handler = Handler()
    async with running(handler, producer) as (runtime, consumer):
        handler.outbox = KafkaOutbox(producer, TOPIC, "t.stock")  # type: ignore[arg-type]
        original = handler.work

        async def work_and_send(message: Any, arrived: Any) -> None:
            await original(message, arrived)
            from orders.domain.events import StockSet

            await handler.outbox.stock_event(StockSet(sku="A", quantity=1))  # type: ignore[union-attr]

        handler.work = work_and_send  # type: ignore[method-assign]
        consumer.feed(record(0))
        await eventually(lambda: handler.worked == [0] and len(producer.pending) == 1)
        await runtime.commit()
        assert consumer.last_commit(P0) is None
        producer.release()
        await eventually(lambda: len(runtime.progress) == 0)
        await runtime.commit()
        assert consumer.last_commit(P0) == 1


async def test_a_keys_next_record_starts_before_the_broker_acknowledged_the_previous() -> None:
    # A hot key (one SKU every order wants) is not paced by produce round trips: the next
    # record's work starts once the previous one's effects are queued. The commit still waits
    # for the acknowledgements, and the sends keep the key's order.
    producer = FakeProducer(hold=True)
    tables = Tables("g", [TableSpec("sagas", TOPIC, 2)])
    handler = Handler(tables)
    async with running(handler, producer, tables) as (runtime, consumer):
        consumer.feed(record(0, b"hot"), record(1, b"hot"), record(2, b"hot"))
        await eventually(lambda: handler.worked == [0, 1, 2])
        assert [value for _, _, value, _ in producer.sent] == [b"v0", b"v1", b"v2"]
        await runtime.commit()
        assert consumer.last_commit(P0) is None  # nothing acknowledged yet
        producer.release()
        await eventually(lambda: len(runtime.progress) == 0)
        await runtime.commit()
        assert consumer.last_commit(P0) == 3


async def test_an_effect_the_broker_never_stores_stops_the_runtime_uncommitted() -> None:
    producer = FakeProducer(fail=RuntimeError("delivery timed out"))
    tables = Tables("g", [TableSpec("sagas", TOPIC, 2)])
    handler = Handler(tables)
    async with running(handler, producer, tables) as (runtime, consumer):
        consumer.feed(record(0))
        await asyncio.wait_for(runtime.failed.wait(), 5)
        await runtime.commit()
        assert consumer.last_commit(P0) is None
        assert isinstance(runtime.failure, RuntimeError)


async def test_table_writes_go_to_the_changelog_partition_of_the_record() -> None:
    producer = FakeProducer()
    tables = Tables("g", [TableSpec("sagas", TOPIC, 2)])
    handler = Handler(tables)
    async with running(handler, producer, tables) as (runtime, consumer):
        consumer.feed(record(0, b"a", partition=1), record(1, b"a", partition=1))
        await eventually(lambda: len(runtime.progress) == 0 and len(handler.worked) == 2)
    # one changelog record per record's work (the last value of the key), to partition 1
    assert producer.sent == [
        ("g-sagas-changelog", b"a", b"v0", 1),
        ("g-sagas-changelog", b"a", b"v1", 1),
    ]
    assert tables["sagas"].read_to == {1: 2}  # our own writes need not be read back


async def test_a_revoke_lets_the_work_in_flight_finish_then_commits_it() -> None:
    handler = Handler()
    handler.gates[b"slow"] = asyncio.Event()
    async with running(handler) as (runtime, consumer):
        consumer.feed(record(0, b"slow"), record(1, b"other"))
        await eventually(lambda: handler.worked == [1])
        revoking = asyncio.create_task(runtime.revoked({P0, P1}))
        await asyncio.sleep(0.05)
        assert not revoking.done()  # waits for offset 0
        consumer.feed(record(2))  # met during the rebalance: not taken
        handler.gates[b"slow"].set()
        await asyncio.wait_for(revoking, 5)
        assert consumer.last_commit(P0) == 2
        assert handler.arrived == [0, 1]
        assert not runtime.progress.owns(P0)


async def test_a_revoke_that_runs_out_of_time_cancels_the_work_and_commits_none_of_it() -> None:
    handler = Handler()
    handler.gates[b"stuck"] = asyncio.Event()  # never set
    async with running(handler, drain_s=0.1) as (runtime, consumer):
        consumer.feed(record(0), record(1, b"stuck"), record(2, b"stuck"))
        await eventually(lambda: handler.worked == [0])
        await asyncio.wait_for(runtime.revoked({P0, P1}), 5)
        assert consumer.last_commit(P0) == 1  # 1 and 2 are read again by the next owner
        assert len(runtime.progress) == 0


async def test_an_assigned_partition_is_read_from_its_committed_offset_and_nothing_before() -> None:
    # aiokafka fetches while the tables catch up, and those records are dropped: the runtime
    # seeks each partition to its committed offset and takes nothing else first.
    consumer = FakeConsumer()
    consumer.committed_offsets[P0] = 7
    handler = Handler()
    async with running(handler, consumer=consumer) as (runtime, consumer):
        assert set(consumer.seeks) == {(P0, 7), (P1, 0)}
        consumer.feed(record(6), record(9))  # 6 is committed already; 7 and 8 were dropped
        await eventually(lambda: consumer.seeks[-1] == (P0, 7))
        consumer.feed(record(7), record(8), record(9))
        await eventually(lambda: handler.worked == [7, 8, 9])
        await runtime.commit()
        assert consumer.last_commit(P0) == 10


async def test_an_assignment_whose_tables_cannot_be_read_yet_is_retried() -> None:
    class FlakyReader(FakeConsumer):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
            self.calls += 1
            if self.calls == 1:
                raise KafkaConnectionError("broker gone")
            return await super().end_offsets(tps)

    reader = FlakyReader()
    tables = Tables("g", [TableSpec("sagas", TOPIC, 2)])
    runtime = Runtime(
        FakeConsumer(),  # type: ignore[arg-type]
        FakeProducer(),  # type: ignore[arg-type]
        reader,  # type: ignore[arg-type]
        tables,
        [Feed(TOPIC, Handler(tables), max_in_flight=10)],
        Tuning(commit_interval_s=3600, drain_s=1),
    )
    await asyncio.wait_for(runtime.assigned_partitions({P0}), 5)
    assert reader.calls == 2
    assert runtime.progress.owns(P0)
