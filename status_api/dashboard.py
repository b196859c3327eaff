"""GET /dashboard (the operator's page: static HTML, CSS and JS in status_api/dashboard/, no
build step) and GET /dashboard.json (what the page polls: status_api/dashboard_snapshot.py).

The Kafka figures come from a background task (status_api/pipeline_sampler.py) that this
module starts and stops with the app; the status table's figures are read per request.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from orders.contracts.group import GroupDescriber
from orders.contracts.offsets import GroupOffsets
from orders.contracts.topics import Topics
from orders.errors import StoreUnavailable
from orders.settings import Settings
from orders.status_store import StatusStore
from status_api.dashboard_snapshot import Pipeline, StoreFigures, snapshot
from status_api.pipeline_sampler import KEEP_S, PipelineHistory, PipelineSampler
from status_api.tasks import running
from status_api.views import STORE

DASHBOARD_DIR = Path(__file__).with_name("dashboard")
# Served like the board's files (status_api/board.py): not add_static, so a missing file is a
# JSON 404 like every other error.
ASSETS = frozenset({"dashboard.css", "dashboard.js"})
KAFKA_TIMEOUT_S = 3.0  # per question to the broker
OVERDUE_LIMIT = 1000  # overdue orders counted; past it the page says "1000+"

PIPELINE: web.AppKey[Pipeline] = web.AppKey("pipeline")
HISTORY: web.AppKey[PipelineHistory] = web.AppKey("pipeline_history")


def install(
    app: web.Application, settings: Settings, *, history: PipelineHistory | None = None
) -> None:
    """The routes; without `history`, a sampler task fills one from Kafka (tests that bring
    their own history fill it themselves)."""
    topics = Topics.from_settings(settings)
    consumed = (topics.order_events.name, topics.stock.name)
    app[PIPELINE] = Pipeline(settings.worker_group, consumed, topics.dead_letters.name,
                             settings.order_deadline_s, KEEP_S)  # fmt: skip
    if history is None:
        history = PipelineHistory(KEEP_S)
        app.cleanup_ctx.append(_sampler(settings, history))
    app[HISTORY] = history
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard.json", dashboard_json)
    app.router.add_get("/dashboard/static/{filename}", asset)


def _sampler(
    settings: Settings, history: PipelineHistory
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def sampler(app: web.Application) -> AsyncIterator[None]:
        topics = Topics.from_settings(settings)
        servers, group = settings.kafka_bootstrap_servers, settings.worker_group
        offsets = GroupOffsets(
            servers, group, client_id="orderflow-dashboard", timeout_s=KAFKA_TIMEOUT_S
        )
        describer = GroupDescriber(servers, group, timeout_s=KAFKA_TIMEOUT_S)
        pipeline = PipelineSampler(
            offsets, describer, consumed=(topics.order_events, topics.stock),
            dead_letters=topics.dead_letters, history=history,
        )  # fmt: skip
        try:
            async with running(pipeline.run(settings.status_api_dashboard_interval_s)):
                yield
        finally:
            await describer.close()
            await asyncio.to_thread(offsets.close)  # waits for a read still in its thread

    return sampler


async def _store_figures(store: StatusStore, now: float, pipeline: Pipeline) -> StoreFigures:
    at = datetime.fromtimestamp(now, UTC)
    since = datetime.fromtimestamp(now - pipeline.window_s, UTC)
    overdue_before = datetime.fromtimestamp(now - pipeline.deadline_s, UTC)
    moves, stats, overdue = await asyncio.gather(
        store.moves(since, at), store.stats(), store.stalled(overdue_before, OVERDUE_LIMIT)
    )
    return StoreFigures(moves, stats.counts, overdue, OVERDUE_LIMIT)


async def dashboard_json(request: web.Request) -> web.Response:
    now = time.time()
    pipeline, history = request.app[PIPELINE], request.app[HISTORY]
    try:
        figures = await _store_figures(request.app[STORE], now, pipeline)
    except StoreUnavailable as e:  # the Kafka half is still worth showing
        return web.json_response(snapshot(now, pipeline, history, None, str(e)))
    return web.json_response(snapshot(now, pipeline, history, figures))


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD_DIR / "index.html")


async def asset(request: web.Request) -> web.FileResponse:
    name = request.match_info["filename"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(DASHBOARD_DIR / name)
