"""Event stream of one order: GET /orders/{id}/events (its status changes, resumable);
GET /events (every order's) is status_api/changes.py.

A stream reads the status table after each wake-up from the change feed, so it never sends a
change the table does not hold, and an order's events come in version order with none skipped
(each is a history entry). It ends after a terminal status, when the process shuts down, and
when the client goes away (noticed at the latest by the next heartbeat).
"""

import logging
from typing import Any

from aiohttp import web

from orders.domain.ids import normalise_order_id, short_ref
from orders.errors import StoreUnavailable
from orders.http import error_response
from orders.status_store import HistoryEntry, OrderView
from status_api import sse
from status_api.views import STORE, visible_to
from status_api.watch import FEED, watch

log = logging.getLogger(__name__)

HEARTBEAT_S: web.AppKey[float] = web.AppKey("heartbeat_s", float)
APPEAR_WAIT_S = 30.0  # how long a stream waits for an order not yet written, before a 404
RETRY_MS = 2000


def entry_events(view: OrderView, after: int | None) -> list[tuple[int | None, dict[str, Any]]]:
    """(version, data) of the order's changes newer than `after` (all of them when None).
    Entries written before history carried versions have none: the latest one is the order's
    version, the others are sent on a fresh stream only, without an id."""
    found: list[tuple[int | None, dict[str, Any]]] = []
    last = len(view.history) - 1
    for i, entry in enumerate(view.history):
        version = (
            entry.version if entry.version is not None else (view.version if i == last else None)
        )
        if after is None or (version is not None and version > after):
            found.append((version, change_json(view, entry, version)))
    return found


def change_json(view: OrderView, entry: HistoryEntry, version: int | None) -> dict[str, Any]:
    """The order as this change left it."""
    return {
        "order_id": view.order_id,
        "ref": short_ref(view.order_id),
        "status": entry.status.value,
        "reason": entry.reason,
        "version": version,
        "at": entry.at.isoformat(),
        "created_at": view.created_at.isoformat(),
        "total": str(view.total) if view.total is not None else None,
    }


async def order_events(request: web.Request) -> web.StreamResponse:
    order_id = normalise_order_id(request.match_info["order_id"])
    try:
        after = sse.last_event_id(request)
    except ValueError as e:
        return error_response(400, str(e))
    if order_id is None:
        return error_response(404, "order not found")
    store, feed, heartbeat_s = request.app[STORE], request.app[FEED], request.app[HEARTBEAT_S]
    with feed.watch(order_id) as waiter:  # before the first read: no change slips between
        view = await watch(store, feed, order_id, None, APPEAR_WAIT_S, visible_to(request))
        if view is None:
            return error_response(404, "order not found")
        response = await sse.open_stream(request)
        try:
            await response.write(sse.retry(RETRY_MS))
            while view is not None:
                for version, data in entry_events(view, after):
                    await response.write(sse.event(data, kind="status", event_id=version))
                    after = version if version is not None else after
                if view.status.is_terminal or feed.closing:
                    break
                if not await waiter.wait(heartbeat_s):
                    await response.write(sse.comment("heartbeat"))
                    continue
                view = await store.get(order_id)
        except (ConnectionResetError, StoreUnavailable) as e:
            log.debug("event stream of %s ends: %s", order_id, e)  # the client may resume
    return response
