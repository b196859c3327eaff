"""The order log's pipeline, wired as the direct worker wires it, in the direct runtime's loop
(fake Kafka clients): a poison record in the middle of a batch is dead-lettered, the records
around it take effect once each, and the partition commits past all of them."""

import asyncio

from aiokafka import TopicPartition

from orders.contracts import codec
from orders.contracts.dead_letters import Failure
from orders.domain.events import OrderValidated
from orders.domain.status import OrderStatus
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from stream_processors.deps import StageDeps
from stream_processors.direct.kafka_io import KafkaDeadLetters, KafkaOutbox
from stream_processors.direct.main import tables_for
from stream_processors.direct.runtime import Feed, Runtime, Tuning
from stream_processors.gateway import SimulatedGateway
from stream_processors.stages import wire
from tests.unit.direct_fakes import FakeConsumer, FakeProducer, Record
from tests.unit.stage_helpers import eventually, placed

SETTINGS = Settings(kafka_bootstrap_servers="127.0.0.1:1", topic_prefix="t")
ORDERS, STOCK, DLQ = "t.order-events", "t.stock", "t.dead-letters"


async def test_a_poison_record_mid_batch_is_dead_lettered_and_the_rest_take_effect_once() -> None:
    producer, consumer, store = FakeProducer(), FakeConsumer(), InMemoryStatusStore()

    async def status_store() -> InMemoryStatusStore:
        return store

    deps = StageDeps(
        outbox=KafkaOutbox(producer, ORDERS, STOCK),  # type: ignore[arg-type]
        limits=SETTINGS.limits,
        gateway=SimulatedGateway(latency_s=0, timeout_s=0.01),
        payment_attempts=1,
        status_store=status_store,
        dead_letters=KafkaDeadLetters(producer, DLQ),  # type: ignore[arg-type]
    )
    tables = tables_for(SETTINGS)
    stages = wire(deps, tables.by_name)
    runtime = Runtime(
        consumer,  # type: ignore[arg-type]
        producer,  # type: ignore[arg-type]
        FakeConsumer(),  # type: ignore[arg-type]  # the changelogs' reader: all empty
        tables,
        [Feed(ORDERS, stages.pipeline, max_in_flight=100)],
        Tuning(commit_interval_s=3600, drain_s=5.0),
    )
    partition = TopicPartition(ORDERS, 0)
    await runtime.assigned_partitions({partition})
    first = codec.encode(placed("a"))
    consumer.feed(  # one batch: a, poison, b, and a again (delivered twice)
        Record(ORDERS, 0, 0, b"a", first),
        Record(ORDERS, 0, 1, b"x", b"{not json"),
        Record(ORDERS, 0, 2, b"b", codec.encode(placed("b"))),
        Record(ORDERS, 0, 3, b"a", first),
    )
    run = asyncio.create_task(runtime.run())
    try:
        await eventually(lambda: runtime.progress.committable().get(partition) == 4)
        await runtime.commit()
    finally:
        run.cancel()
        await asyncio.wait([run])
        await stages.pipeline.close()

    assert consumer.last_commit(partition) == 4  # past the poison record and its neighbours
    dead = [i for i, sent in enumerate(producer.sent) if sent[0] == DLQ]
    assert [producer.sent[i][1:3] for i in dead] == [(b"x", b"{not json")]
    failure = Failure.from_headers(producer.headers[dead[0]])
    assert (failure.stage, failure.offset) == ("dispatch", 1)
    decided = [codec.decode_order_event(v) for t, _, v, _ in producer.sent if t == ORDERS]
    assert all(isinstance(e, OrderValidated) for e in decided)
    assert sorted(e.order_id for e in decided) == ["a", "a", "b"]
    assert len({e.event_id for e in decided}) == 2  # the redelivery repeats a's decision
    assert {o: [h.status for h in store.orders[o].history] for o in ("a", "b")} == {
        "a": [OrderStatus.PENDING],
        "b": [OrderStatus.PENDING],
    }
