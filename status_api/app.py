"""The status API: read-only HTTP view of the status table.

GET /orders/{order_id}  the order and its history (404 unknown or malformed id, 503 store down)
GET /healthz            liveness, never touches the store
GET /readyz             readiness, 200 only when the store answers a ping
"""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from orders.errors import StoreUnavailable
from orders.settings import Settings, web_access_log
from orders.status_store import StatusStore
from orders.status_store.redis import RedisStatusStore
from status_api.views import STORE, error_response, get_order, healthz, readyz

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1
# aiohttp's own headers on an HTTPException describe its text/plain body, not our JSON one.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


def _from_http_exception(e: web.HTTPException) -> web.Response:
    headers = {k: v for k, v in e.headers.items() if k.lower() not in _BODY_HEADERS}
    return error_response(e.status, e.reason, headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is a JSON body; nothing (tracebacks included) leaks out otherwise.

    Statuses change as orders move, so no response may be cached.
    """
    try:
        response = await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise  # redirects and the like are not errors
        response = _from_http_exception(e)
    except StoreUnavailable as e:
        log.warning("status store unavailable on %s %s: %s", request.method, request.path, e)
        retry = {"Retry-After": str(RETRY_AFTER_S)}
        response = error_response(503, "status store unavailable", retry)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = error_response(500, "internal error")
    response.headers["Cache-Control"] = "no-store"
    return response


def _redis_store(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def redis_store(app: web.Application) -> AsyncIterator[None]:
        store = RedisStatusStore.from_url(settings.redis_url, settings.redis_namespace)
        app[STORE] = store
        try:
            yield
        finally:
            await store.close()

    return redis_store


def create_app(settings: Settings, store: StatusStore | None = None) -> web.Application:
    """The app. Without `store`, it opens (and finally closes) a Redis store from `settings`;
    a given `store` stays the caller's to close."""
    app = web.Application(middlewares=[json_errors])
    if store is None:
        app.cleanup_ctx.append(_redis_store(settings))
    else:
        app[STORE] = store
    app.router.add_get("/orders/{order_id}", get_order)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


def _announce(banner: str) -> None:
    """Stand-in for aiohttp's banner: one line with the URL, printed once listening."""
    urls = re.findall(r"https?://\S+", banner)
    print(f"orderflow status API listening on {', '.join(urls) or banner}", flush=True)


def serve(settings: Settings) -> None:
    """Run the status API until SIGINT/SIGTERM (blocking)."""
    web.run_app(
        create_app(settings),
        host=settings.status_api_host,
        port=settings.status_api_port,
        access_log=web_access_log(settings),
        print=_announce,
        handle_signals=True,
    )


async def run(settings: Settings, store: StatusStore | None = None) -> None:
    """Run the status API inside an existing event loop until cancelled (tests, embedding)."""
    runner = web.AppRunner(create_app(settings, store), handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.status_api_host, settings.status_api_port)
        await site.start()
        host, port = runner.addresses[0][:2]
        log.info("status API listening on http://%s:%s", host, port)
        await asyncio.Event().wait()  # only cancellation ends this
    finally:
        await runner.cleanup()
