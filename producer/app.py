"""The front door's aiohttp application: wiring, JSON error middleware and `serve()`."""

from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import Counter

from orders import http, http_metrics, openapi
from orders.auth import middleware as auth
from orders.errors import StoreUnavailable
from orders.event_loop import use_event_loop
from orders.http import KnownError, json_errors
from orders.settings import Settings
from orders.status_store import StatusStore
from orders.status_store.redis import RedisStatusStore
from producer.access import ROUTES
from producer.api import OrderProducer
from producer.cancel import STATUS_STORE, cancel_order
from producer.idempotency import IdempotencyStore
from producer.idempotency.redis import RedisIdempotencyStore
from producer.metrics import pending_write_failures, track_producer_queue
from producer.openapi import served_document
from producer.pending import RecordPending
from producer.publisher import EventPublisher
from producer.redis_client import REDIS, redis_context
from producer.views import (
    IDEMPOTENCY,
    ORDER_PRODUCER,
    SETTINGS,
    healthz,
    place_order,
    readyz,
)

_SHUTDOWN_SPARE_S = 5.0

PENDING_FAILURES = web.AppKey("pending_failures", Counter)


def create_app(
    settings: Settings,
    publisher: EventPublisher | None = None,
    idempotency: IdempotencyStore | None = None,
    status_store: StatusStore | None = None,
) -> web.Application:
    """The front door. Without a publisher it runs its own KafkaPublisher for its lifetime;
    without an idempotency store or a status store (new orders are recorded PENDING there,
    cancel requests read it) it keeps them in Redis, on one client under REDIS. What is passed
    in belongs to the caller, who closes it."""
    store_down = KnownError(
        StoreUnavailable,
        503,
        "status store unavailable; retry later",
        {"Retry-After": str(settings.retry_after_s)},
    )
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[json_errors(store_down)]
    )
    auth.install(app, settings, ROUTES, name="front door")
    app[SETTINGS] = settings
    if publisher is None:
        app.cleanup_ctx.append(_kafka_producer)
    else:
        app[ORDER_PRODUCER] = OrderProducer.for_settings(settings, publisher)
    if idempotency is None or status_store is None:
        app.cleanup_ctx.append(redis_context(settings))
    if idempotency is None:
        app.cleanup_ctx.append(_redis_idempotency)
    else:
        app[IDEMPOTENCY] = idempotency
    if status_store is None:
        app.cleanup_ctx.append(_redis_status_store)
    else:
        app[STATUS_STORE] = status_store
    app.cleanup_ctx.append(_record_pending)  # last: needs the producer and the status store
    app.router.add_post("/orders", place_order)
    app.router.add_post("/orders/{order_id}/cancel", cancel_order)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    registry = http_metrics.install(app)
    track_producer_queue(app, registry)
    app[PENDING_FAILURES] = pending_write_failures(registry)
    openapi.install(app, served_document(settings))
    return app


async def _kafka_producer(app: web.Application) -> AsyncIterator[None]:
    # On shutdown (SIGTERM included) leaving the block flushes events still in flight.
    async with OrderProducer.connect(app[SETTINGS]) as producer:
        app[ORDER_PRODUCER] = producer
        yield


async def _redis_idempotency(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[IDEMPOTENCY] = RedisIdempotencyStore(
        app[REDIS],
        settings.redis_namespace,
        ttl_s=settings.idempotency_ttl_s,
        lease_s=settings.idempotency_lease_s,
    )
    yield  # the client is closed by the context that made it


async def _redis_status_store(app: web.Application) -> AsyncIterator[None]:
    app[STATUS_STORE] = RedisStatusStore(app[REDIS], app[SETTINGS].redis_namespace)
    yield  # not closed here: the client belongs to the context that made it


async def _record_pending(app: web.Application) -> AsyncIterator[None]:
    record = RecordPending(
        app[STATUS_STORE],
        app[PENDING_FAILURES],
        timeout_s=app[SETTINGS].record_pending_timeout_s,
    )
    app[ORDER_PRODUCER] = app[ORDER_PRODUCER].placing_with(record)
    yield


def shutdown_timeout(settings: Settings) -> float:
    """How long SIGTERM waits for requests in flight: the longest a request waits for a key
    held by another, plus one publish, plus spare for Redis. Kept well under the 30 s grace
    period most supervisors give before SIGKILL, so the Kafka producer is flushed in time."""
    return settings.idempotency_lease_s + settings.publish_timeout_s + _SHUTDOWN_SPARE_S


def serve(settings: Settings) -> None:
    """Run the front door until SIGINT/SIGTERM. It stops listening, lets requests in flight
    finish, then the cleanup contexts flush the Kafka producer and close Redis."""
    use_event_loop(settings.event_loop)
    http.serve(
        create_app(settings),
        name="producer",
        host=settings.producer_host,
        port=settings.producer_port,
        access_log=settings.access_log,
        shutdown_timeout=shutdown_timeout(settings),
    )
