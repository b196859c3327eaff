"""The status API: read-only HTTP view of the status table.

GET /orders/{order_id}  the order and its history (404 unknown or malformed id, 503 store down)
GET /healthz            liveness, never touches the store
GET /readyz             readiness, 200 only when the store answers a ping
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from orders import http, http_metrics, openapi
from orders.auth import middleware as auth
from orders.errors import StoreUnavailable
from orders.event_loop import use_event_loop
from orders.http import KnownError, json_errors
from orders.settings import Settings
from orders.status_store import StatusStore
from orders.status_store.change_log import ChangeLog
from orders.status_store.redis import RedisStatusStore
from status_api import board, changes, dashboard, listing, live, streams
from status_api.access import QUERY_TOKEN_ROUTES, ROUTES
from status_api.changes import CHANGE_LOG
from status_api.openapi import served_document
from status_api.pipeline_sampler import PipelineHistory
from status_api.views import STORE, get_order, healthz, readyz

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1
STORE_DOWN = KnownError(
    StoreUnavailable, 503, "status store unavailable", {"Retry-After": str(RETRY_AFTER_S)}
)


@web.middleware
async def no_store(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Statuses change as orders move, so no response may be cached (errors included)."""
    response = await handler(request)
    response.headers["Cache-Control"] = "no-store"
    return response


def _redis_store(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def redis_store(app: web.Application) -> AsyncIterator[None]:
        # STATUS_API_TABLE pins the API to a named table (to inspect a replay's); by default
        # it follows the live-table pointer.
        table = settings.status_api_table or None
        store = RedisStatusStore.from_url(settings.redis_url, settings.redis_namespace, table=table)
        app[STORE] = store
        app[CHANGE_LOG] = store.change_log
        try:
            yield
        finally:
            await store.close()

    return redis_store


def create_app(
    settings: Settings, store: StatusStore | None = None, change_log: ChangeLog | None = None
) -> web.Application:
    """The app. Without `store`, it opens (and finally closes) a Redis store from `settings`;
    a given `store` (and `change_log`, without which GET /events cannot resume) stays the
    caller's to close."""
    app = web.Application(middlewares=[no_store, json_errors(STORE_DOWN)])
    auth.install(app, settings, ROUTES, name="status API", query_token_routes=QUERY_TOKEN_ROUTES)
    if store is None:
        app.cleanup_ctx.append(_redis_store(settings))
    else:
        app[STORE] = store
        if change_log is not None:
            app[CHANGE_LOG] = change_log
    live.install(app, settings, subscribe=store is None)
    app.router.add_get("/orders/{order_id}", get_order)
    app.router.add_get("/orders", listing.list_orders)
    app.router.add_get("/stats", listing.stats)
    app.router.add_get("/orders/{order_id}/events", streams.order_events)
    app.router.add_get("/events", changes.all_events)
    app.router.add_get("/board", board.board)
    app.router.add_get("/board/static/{filename}", board.asset)
    dashboard.install(app, settings, history=None if store is None else PipelineHistory())
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    http_metrics.install(app)
    openapi.install(app, served_document(settings))
    return app


def serve(settings: Settings) -> None:
    """Run the status API until SIGINT/SIGTERM (blocking)."""
    use_event_loop(settings.event_loop)
    http.serve(
        create_app(settings),
        name="status API",
        host=settings.status_api_host,
        port=settings.status_api_port,
        access_log=settings.access_log,
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
