"""The front door's aiohttp application: wiring, JSON error middleware and `serve()`."""

from collections.abc import AsyncIterator

from aiohttp import web

from orders import http
from orders.errors import StoreUnavailable
from orders.http import KnownError, json_errors
from orders.settings import Settings
from orders.status_store import StatusStore
from producer.api import OrderProducer
from producer.cancel import STATUS_STORE, cancel_order, redis_status_store
from producer.publisher import EventPublisher
from producer.views import (
    ORDER_PRODUCER,
    SETTINGS,
    healthz,
    place_order,
    readyz,
)


def create_app(
    settings: Settings,
    publisher: EventPublisher | None = None,
    status_store: StatusStore | None = None,
) -> web.Application:
    """The front door. Without a publisher it runs its own KafkaPublisher for its lifetime,
    without a status store it opens the Redis status table (read by cancel requests);
    what is passed in belongs to the caller, who closes it."""
    store_down = KnownError(
        StoreUnavailable,
        503,
        "status store unavailable; retry later",
        {"Retry-After": str(settings.retry_after_s)},
    )
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[json_errors(store_down)]
    )
    app[SETTINGS] = settings
    if publisher is None:
        app.cleanup_ctx.append(_kafka_producer)
    else:
        app[ORDER_PRODUCER] = OrderProducer.for_settings(settings, publisher)
    if status_store is None:
        app.cleanup_ctx.append(redis_status_store(settings))
    else:
        app[STATUS_STORE] = status_store
    app.router.add_post("/orders", place_order)
    app.router.add_post("/orders/{order_id}/cancel", cancel_order)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def _kafka_producer(app: web.Application) -> AsyncIterator[None]:
    # On shutdown (SIGTERM included) leaving the block flushes events still in flight.
    async with OrderProducer.connect(app[SETTINGS]) as producer:
        app[ORDER_PRODUCER] = producer
        yield


def serve(settings: Settings) -> None:
    """Run the front door until SIGINT/SIGTERM; shutdown flushes the Kafka producer."""
    http.serve(
        create_app(settings),
        name="producer",
        host=settings.producer_host,
        port=settings.producer_port,
        access_log=settings.access_log,
    )
