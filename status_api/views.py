"""Handlers and JSON shapes of the status API."""

from typing import Any

from aiohttp import web

from orders.auth.middleware import principal
from orders.auth.rules import Decision, order_decision
from orders.errors import StoreUnavailable
from orders.status_store import OrderView, StatusStore
from status_api import watch

STORE: web.AppKey[StatusStore] = web.AppKey("store")


def order_fields(view: OrderView) -> dict[str, Any]:
    """What every answer about an order shows (one order, or a list's row); customer_id stays
    internal."""
    return {
        "order_id": view.order_id,
        "status": view.status.value,
        "reason": view.reason,
        "version": view.version,
        "created_at": view.created_at.isoformat(),
        "updated_at": view.updated_at.isoformat(),
        "total": str(view.total) if view.total is not None else None,
    }


def order_json(view: OrderView) -> dict[str, Any]:
    """The public shape of an order: its fields and its history."""
    return {
        **order_fields(view),
        "history": [
            {
                "status": h.status.value,
                "at": h.at.isoformat(),
                "reason": h.reason,
                "version": h.version,  # None: recorded before history entries had versions
            }
            for h in view.history
        ],
    }


async def get_order(request: web.Request) -> web.Response:
    """The order, with `ETag: "<version>"`; `?wait=`, `?since_version=` and If-None-Match
    make it a conditional answer or a long-poll (status_api/watch.py)."""
    return await watch.get_order(request, request.app[STORE], order_json, visible_to(request))


def visible_to(request: web.Request) -> watch.Visible:
    """Which orders the caller may see: a customer its own, staff (and anyone, auth off) all."""
    caller = principal(request)
    return lambda view: order_decision(caller, view.customer_id) is Decision.ALLOW


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers; the store is not consulted (see readyz)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[STORE].ping()
    except StoreUnavailable:
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})
