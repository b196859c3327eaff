"""The front door's aiohttp application: wiring, JSON error middleware and `serve()`."""

import logging
import re
from collections.abc import AsyncIterator

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from orders.settings import Settings, web_access_log
from producer.api import OrderProducer
from producer.publisher import EventPublisher
from producer.views import (
    ORDER_PRODUCER,
    SETTINGS,
    error_response,
    healthz,
    place_order,
    readyz,
)

_log = logging.getLogger(__name__)

# Headers of aiohttp's own error answers that still apply to our JSON version (e.g. 405's Allow).
_KEPT_HEADERS = (hdrs.ALLOW, hdrs.RETRY_AFTER)


def create_app(settings: Settings, publisher: EventPublisher | None = None) -> web.Application:
    """The front door. Without a publisher it runs its own KafkaPublisher for its lifetime;
    a publisher passed in belongs to the caller, who closes it."""
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[json_errors])
    app[SETTINGS] = settings
    if publisher is None:
        app.cleanup_ctx.append(_kafka_producer)
    else:
        app[ORDER_PRODUCER] = OrderProducer.for_settings(settings, publisher)
    app.router.add_post("/orders", place_order)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def _kafka_producer(app: web.Application) -> AsyncIterator[None]:
    # On shutdown (SIGTERM included) leaving the block flushes events still in flight.
    async with OrderProducer.connect(app[SETTINGS]) as producer:
        app[ORDER_PRODUCER] = producer
        yield


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's HTTP errors (404, 405, 413...) as JSON; anything unexpected as a bare 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and the like are not errors
            raise
        kept = {str(name): exc.headers[name] for name in _KEPT_HEADERS if name in exc.headers}
        return error_response(exc.status, exc.reason, headers=kept)
    except Exception:
        _log.exception("unexpected error answering %s %s", request.method, request.path)
        return error_response(500, "internal error")


def serve(settings: Settings) -> None:
    """Run the front door until SIGINT/SIGTERM; shutdown flushes the Kafka producer."""
    web.run_app(
        create_app(settings),
        host=settings.producer_host,
        port=settings.producer_port,
        access_log=web_access_log(settings),
        # run_app calls `print` once the sockets listen: our one line instead of its banner.
        print=_announce,
    )


def _announce(banner: str) -> None:
    # The banner reads "======== Running on http://h:p ======== ..." with the real port.
    found = re.search(r"Running on (.+?) =", banner)
    urls = found.group(1) if found else banner
    print(f"orderflow producer listening on {urls}", flush=True)
