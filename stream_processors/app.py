"""The Faust app factory: declares topics, tables and the two agents. No I/O here.

One agent reads the order log and routes each event to the stages that act on it
(stream_processors/pipeline.py); one reads the stock topic (the inventory, the single writer
of each SKU). Each record is read and decoded once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import faust

from orders.contracts.topics import Topics, replication_config
from orders.domain.payment import PaymentGateway
from orders.settings import Settings
from orders.status_store import StatusStore
from stream_processors import cancellation, deadlines, inventory, metrics, payment, reservation
from stream_processors.consume import consume
from stream_processors.consumer import use_rewinding_consumer
from stream_processors.dead_letters import DeadLetterSink, FaustDeadLetters
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.fetch_mode import FetchMode
from stream_processors.outbox import FaustOutbox, Outbox
from stream_processors.pipeline import OrderPipeline
from stream_processors.producer import use_idempotent_producer
from stream_processors.stages import (
    LazyStatusStore,
    redis_store_factory,
    simulated_gateway,
    wire,
)
from stream_processors.streams import changelog_options


@dataclass
class WorkerApp:
    app: Any  # faust.App
    topics: FaustTopics
    agents: dict[str, Any]
    tables: dict[str, Any]
    deps: StageDeps
    pipeline: OrderPipeline


def _faust_app(settings: Settings, worker_name: str) -> Any:
    brokers = [f"kafka://{host}" for host in settings.kafka_bootstrap_servers.split(",")]
    app = faust.App(
        settings.worker_group,
        broker=brokers,
        broker_client_id=f"orderflow-{worker_name}",  # names the worker in the group's members
        store="memory://",
        autodiscover=False,
        datadir=str(Path(settings.worker_data_dir) / worker_name),
        web_enabled=False,
        web_host=settings.worker_web_host,  # Faust binds its web port even when disabled
        web_port=settings.worker_web_port,
        topic_partitions=settings.order_events_partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,  # table changelogs; our own topics exist already
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=settings.worker_heartbeat_s,
        broker_commit_interval=settings.worker_commit_interval_s,
        producer_acks=-1,
        # Sends queued within this many seconds go to the broker in one request: far fewer
        # socket writes per order (the top cost in a worker's profile with linger 0).
        producer_linger=settings.worker_producer_linger_ms / 1000,
        key_serializer="raw",
        value_serializer="raw",
    )
    use_rewinding_consumer(  # no event lost or held back around a rebalance; tuned fetches
        app,
        fetch=FetchMode.from_settings(
            settings.worker_fetch_min_bytes,
            settings.worker_fetch_max_wait_ms,
            settings.worker_fetch_idle_wait_ms,
        ),
    )
    use_idempotent_producer(app)  # a retried send is never written twice
    return app


def _faust_topics(app: Any, topics: Topics) -> FaustTopics:
    def declare(name: str, partitions: int) -> Any:
        return app.topic(
            name, partitions=partitions, key_type=bytes, value_type=bytes,
            key_serializer="raw", value_serializer="raw", internal=False,
        )  # fmt: skip

    return FaustTopics(
        order_events=declare(topics.order_events.name, topics.order_events.partitions),
        stock=declare(topics.stock.name, topics.stock.partitions),
        dead_letters=declare(topics.dead_letters.name, topics.dead_letters.partitions),
    )


def create_app(
    settings: Settings,
    *,
    worker_name: str = "worker",
    outbox: Outbox | None = None,
    status_store: Callable[[], StatusStore] | None = None,
    gateway: PaymentGateway | None = None,
    dead_letters: DeadLetterSink | None = None,
) -> WorkerApp:
    app = _faust_app(settings, worker_name)
    contract = Topics.from_settings(settings)
    topics = _faust_topics(app, contract)
    store = LazyStatusStore(status_store or redis_store_factory(settings))
    deps = StageDeps(
        outbox=outbox or FaustOutbox(topics.order_events, topics.stock),
        limits=settings.limits,
        gateway=gateway or simulated_gateway(settings),
        payment_attempts=settings.payment_attempts,
        status_store=store,
        dead_letters=dead_letters or FaustDeadLetters(topics.dead_letters),
        dlq_max_attempts=settings.dlq_max_attempts,
    )

    @app.on_before_shutdown.connect  # type: ignore[untyped-decorator]
    async def _close_store(sender: Any, **kwargs: Any) -> None:
        await store.close()

    partitions = contract.order_events.partitions
    changelog = changelog_options(replication_config(settings))
    tables = {
        "stock": inventory.stock_table(app, contract.stock.partitions, **changelog),
        "reservations": reservation.sagas_table(app, partitions, **changelog),
        "payments": payment.records_table(app, partitions, **changelog),
    }
    tables["cancellation_requests"] = cancellation.requests_table(
        app, partitions, **changelog
    ).table
    stages = wire(deps, {**tables, "cancellation-requests": tables["cancellation_requests"]})
    pipeline, stock_stage = stages.pipeline, stages.inventory
    limit = settings.worker_max_in_flight

    async def order_log(stream: Any) -> None:
        try:
            await consume(stream, pipeline, max_in_flight=limit)
        finally:
            await pipeline.close()

    async def stock_commands(stream: Any) -> None:
        await consume(stream, stock_stage, max_in_flight=limit)

    agents = {
        "orders": app.agent(topics.order_events, name="orderflow.orders")(order_log),
        "inventory": app.agent(topics.stock, name="orderflow.inventory")(stock_commands),
    }
    job = deadlines.DeadlineJob(
        timedelta(seconds=settings.order_deadline_s), settings.deadline_batch, store, deps.outbox
    )
    deadlines.register(app, job, settings.deadline_check_interval_s)
    metrics.register_readiness(app)
    return WorkerApp(app, topics, agents, tables, deps, pipeline)
