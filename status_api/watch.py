"""GET /orders/{id} with an ETag, conditional answers and long-polling.

Every answer about an order carries `ETag: "<version>"`. A client that already knows a version
sends it back (`If-None-Match: "57"`, or `?since_version=57`) and gets the order only when it
is newer, else `304 Not Modified`. With `?wait=S` (0 to 60 seconds) the request waits up to S
seconds for that change instead of answering 304 at once; an order not yet written (the front
door answers 202 before the PENDING status lands) is waited for the same way before a 404.
Waiting costs no Redis command: the process's change feed (status_api/feed.py) wakes it.
"""

import asyncio
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from orders.domain.ids import normalise_order_id
from orders.http import error_response
from orders.status_store import OrderView, StatusStore
from status_api.feed import ChangeFeed

FEED: web.AppKey[ChangeFeed] = web.AppKey("change_feed", ChangeFeed)
MAX_WAIT_S = 60.0

# Whether the caller may see an order (orders/auth/rules.py order_decision); one it may not is
# treated exactly like an order that does not exist, waits included, so ids do not leak.
Visible = Callable[[OrderView], bool]


def everyone(_view: OrderView) -> bool:
    return True


class BadQuery(ValueError):
    """A query parameter or header the client got wrong (400; the message says how)."""


def etag(version: int) -> str:
    return f'"{version}"'


def parse_wait(raw: str | None) -> float:
    """`?wait=` in seconds (0 when absent); BadQuery outside 0..60."""
    if raw is None:
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        wait = math.nan
    if not 0 <= wait <= MAX_WAIT_S:  # (False for nan)
        raise BadQuery(f"wait must be a number of seconds from 0 to {MAX_WAIT_S:g}")
    return wait


def parse_version(raw: str, name: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadQuery(f"{name} must be a non-negative integer (an order's version)")
    return int(raw)


def tag_versions(if_none_match: str) -> list[int]:
    """The versions named by an If-None-Match header (weak tags count; other tags, and '*',
    name none)."""
    versions = []
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
        if inner.isascii() and inner.isdigit() and len(inner) <= 18:
            versions.append(int(inner))
    return versions


def known_version(query: Any, headers: Any) -> int | None:
    """The newest version the client says it has: `since_version`, or its If-None-Match."""
    since = query.get("since_version")
    if since is not None:
        return parse_version(since, "since_version")
    versions = tag_versions(headers.get("If-None-Match", ""))
    return max(versions) if versions else None


def is_news(view: OrderView | None, known: int | None) -> bool:
    """Whether `view` is worth answering with: it exists and is newer than what the client has."""
    return view is not None and (known is None or view.version > known)


async def get_order(
    request: web.Request,
    store: StatusStore,
    render: Callable[[OrderView], dict[str, Any]],
    visible: Visible = everyone,
) -> web.Response:
    try:
        wait = parse_wait(request.query.get("wait"))
        known = known_version(request.query, request.headers)
    except BadQuery as e:
        return error_response(400, str(e))
    # A malformed id gets the same 404 as an unknown one: both name no order.
    order_id = normalise_order_id(request.match_info["order_id"])
    if order_id is None:
        return error_response(404, "order not found")
    feed = request.app[FEED]
    view = await watch(store, feed, order_id, known, wait, visible)
    if view is None:
        return error_response(404, "order not found")
    if not is_news(view, known):
        return web.Response(status=304, headers={"ETag": etag(view.version)})
    return web.json_response(render(view), headers={"ETag": etag(view.version)})


async def watch(
    store: StatusStore,
    feed: ChangeFeed,
    order_id: str,
    known: int | None,
    wait: float,
    visible: Visible = everyone,
) -> OrderView | None:
    """The order as soon as it is news to the client, or as it is after `wait` seconds (None:
    unknown, or not `visible` to the caller)."""
    if wait <= 0 or feed.closing:  # a plain read: no need to listen for changes
        return await _read(store, order_id, visible)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    with feed.watch(order_id) as waiter:  # before the read: a change in between still wakes
        while True:
            view = await _read(store, order_id, visible)
            remaining = deadline - loop.time()
            if is_news(view, known) or remaining <= 0 or feed.closing:
                return view
            await waiter.wait(remaining)


async def _read(store: StatusStore, order_id: str, visible: Visible) -> OrderView | None:
    view = await store.get(order_id)
    return view if view is None or visible(view) else None
