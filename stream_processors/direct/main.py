"""The direct runtime's worker process: builds the stages on an aiokafka consumer and a
librdkafka producer, runs the consuming loop until SIGTERM/SIGINT (or a record's effects
cannot be stored), then stops in order: the records in flight finish, their offsets are
committed, the worker leaves the group. Like the Faust worker, it exits within
`worker_shutdown_grace_s` of the signal whatever happens.
"""

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from aiokafka import AIOKafkaConsumer

from orders.contracts.topics import Topics
from orders.settings import Settings
from stream_processors import fetch_mode
from stream_processors.deadlines import DeadlineJob
from stream_processors.deps import StageDeps
from stream_processors.direct.kafka_io import KafkaDeadLetters, KafkaOutbox
from stream_processors.direct.rdkafka_producer import RdkafkaProducer, producer_config
from stream_processors.direct.runtime import Feed, Periodic, Runtime, Tuning, every
from stream_processors.direct.tables import Tables, TableSpec
from stream_processors.grace import exit_overdue
from stream_processors.lag import REFRESH_S, LagProbe
from stream_processors.metrics import CONSUMER_LAG, WORKER_READY
from stream_processors.stages import (
    TABLE_SOURCES,
    LazyStatusStore,
    Stages,
    redis_store_factory,
    simulated_gateway,
    wire,
)

log = logging.getLogger(__name__)


@dataclass
class DirectWorker:
    settings: Settings
    topics: Topics
    runtime: Runtime
    stages: Stages
    store: LazyStatusStore
    deadlines: DeadlineJob
    clients: tuple[RdkafkaProducer, AIOKafkaConsumer, AIOKafkaConsumer]


def tables_for(settings: Settings) -> Tables:
    topics = Topics.from_settings(settings)
    sources = {"order_events": topics.order_events, "stock": topics.stock}
    return Tables(
        settings.worker_group,
        (TableSpec(name, sources[src].name, sources[src].partitions)
         for name, src in TABLE_SOURCES.items()),
    )  # fmt: skip


def build(settings: Settings, name: str) -> DirectWorker:
    """Everything of one worker, not started (make it inside the worker's event loop)."""
    topics = Topics.from_settings(settings)
    bootstrap = settings.kafka_bootstrap_servers
    producer = RdkafkaProducer(producer_config(settings, name))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.worker_group,
        client_id=f"orderflow-{name}",  # names the worker in the group's members
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.worker_session_timeout_s * 1000),
        heartbeat_interval_ms=int(settings.worker_heartbeat_s * 1000),
        fetch_min_bytes=settings.worker_fetch_min_bytes,
        fetch_max_wait_ms=settings.worker_fetch_max_wait_ms,
    )
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=f"orderflow-{name}-tables",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    store = LazyStatusStore(redis_store_factory(settings))
    outbox = KafkaOutbox(producer, topics.order_events.name, topics.stock.name)
    deps = StageDeps(
        outbox=outbox,
        limits=settings.limits,
        gateway=simulated_gateway(settings),
        payment_attempts=settings.payment_attempts,
        status_store=store,
        dead_letters=KafkaDeadLetters(producer, topics.dead_letters.name),
        dlq_max_attempts=settings.dlq_max_attempts,
    )
    tables = tables_for(settings)
    stages = wire(deps, tables.by_name)
    limit = settings.worker_max_in_flight
    feeds = [
        Feed(topics.order_events.name, stages.pipeline, limit),
        Feed(topics.stock.name, stages.inventory, limit),
    ]
    tuning = Tuning(
        commit_interval_s=settings.worker_commit_interval_s,
        drain_s=settings.worker_shutdown_grace_s / 2,
    )
    runtime = Runtime(consumer, producer, reader, tables, feeds, tuning)
    deadline_job = DeadlineJob(
        timedelta(seconds=settings.order_deadline_s), settings.deadline_batch, store, outbox
    )
    return DirectWorker(
        settings, topics, runtime, stages, store, deadline_job, (producer, consumer, reader)
    )


async def serve(worker: DirectWorker, stop: asyncio.Event, *, measure_lag: bool) -> int:
    """Run until `stop` is set or the runtime fails; returns the exit code."""
    settings, runtime = worker.settings, worker.runtime
    producer, consumer, reader = worker.clients
    WORKER_READY.set(0)
    await producer.start()
    await reader.start()
    consumer.subscribe(
        [worker.topics.order_events.name, worker.topics.stock.name], listener=runtime.listener()
    )
    await consumer.start()
    mode = fetch_mode.FetchMode.from_settings(
        settings.worker_fetch_min_bytes,
        settings.worker_fetch_max_wait_ms,
        settings.worker_fetch_idle_wait_ms,
    )
    fetch_mode.install(consumer._fetcher, mode)
    background = [
        asyncio.create_task(runtime.run(), name="consume"),
        asyncio.create_task(
            every(settings.deadline_check_interval_s, _deadlines(worker), "deadline scan")
        ),
    ]
    probe = LagProbe(settings) if measure_lag else None
    if probe is not None:
        background.append(asyncio.create_task(every(REFRESH_S, _lag(runtime, probe), "lag")))
    stopped = asyncio.create_task(stop.wait())
    failed = asyncio.create_task(runtime.failed.wait())
    try:
        await asyncio.wait([stopped, failed, background[0]], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (*background, stopped, failed):
            task.cancel()
        await asyncio.wait([*background, stopped, failed])
        await _stop(worker)
        if probe is not None:
            await asyncio.to_thread(probe.close)
    consume = background[0]
    crashed = consume.done() and not consume.cancelled() and consume.exception()
    if crashed:
        log.error("the consuming loop failed", exc_info=crashed)
    return 1 if runtime.failure is not None or crashed else 0


async def _stop(worker: DirectWorker) -> None:
    producer, consumer, reader = worker.clients
    try:
        await worker.runtime.stop()
        await worker.stages.pipeline.close()
    finally:
        await consumer.stop()  # leaves the group: the partitions move at once
        await producer.stop(worker.runtime.tuning.drain_s)
        await reader.stop()
        await worker.store.close()


def _deadlines(worker: DirectWorker) -> Periodic:
    order_log = worker.topics.order_events.name

    async def scan() -> None:
        # One worker scans: the owner of the order log's partition 0.
        if any(tp.topic == order_log and tp.partition == 0 for tp in worker.runtime.assigned):
            await worker.deadlines.run_once()

    return scan


def _lag(runtime: Runtime, probe: LagProbe) -> Periodic:
    async def refresh() -> None:
        owned = [(tp.topic, tp.partition) for tp in runtime.assigned]
        CONSUMER_LAG.update(await probe.measure(owned))

    return refresh


@contextmanager
def _exit_within(grace_s: float) -> Iterator[threading.Timer]:
    watchdog = threading.Timer(grace_s, exit_overdue, args=(grace_s,))
    watchdog.daemon = True
    try:
        yield watchdog
    finally:
        watchdog.cancel()


def run(settings: Settings, name: str, *, measure_lag: bool) -> int:
    """Blocking: the worker process's main (the topics exist already)."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format=f"[%(asctime)s] [{name}] %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip

    async def main() -> int:
        worker = build(settings, name)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with _exit_within(settings.worker_shutdown_grace_s) as watchdog:

            def on_signal(signum: signal.Signals) -> None:
                if not stop.is_set():
                    log.info("%s: stopping", signum.name)
                    watchdog.start()
                    stop.set()

            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, on_signal, signum)
            return await serve(worker, stop, measure_lag=measure_lag)

    return asyncio.run(main())
