"""GET /orders (a page of orders, newest first) and GET /stats, from the table's indexes."""

import dataclasses
from typing import Any

from aiohttp import web

from orders.auth.middleware import principal
from orders.auth.rules import Decision, list_scope
from orders.domain.ids import short_ref
from orders.domain.stages import orders_by_stage
from orders.domain.status import OrderStatus
from orders.http import error_response
from orders.status_store import OrderView
from orders.status_store.queries import MAX_LIMIT, BadCursor, Cursor, ListQuery
from status_api.views import STORE, order_fields
from status_api.watch import FEED, BadQuery

DEFAULT_LIMIT = 20


def summary_json(view: OrderView) -> dict[str, Any]:
    """An order in a list: what GET /orders/{id} shows, without the history."""
    fields = order_fields(view)
    return {"order_id": fields.pop("order_id"), "ref": short_ref(view.order_id), **fields}


def parse_list_query(query: Any) -> ListQuery:
    """GET /orders's parameters; BadQuery says what is wrong."""
    raw_limit = query.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadQuery(f"limit must be an integer from 1 to {MAX_LIMIT}")
    status = query.get("status")
    if status is not None and status not in OrderStatus.__members__:
        raise BadQuery(f"status must be one of {', '.join(OrderStatus.__members__)}")
    customer = query.get("customer_id")
    if customer is not None and not 1 <= len(customer) <= 200:
        raise BadQuery("customer_id must be 1 to 200 characters")
    cursor = query.get("cursor")
    try:
        after = Cursor.decode(cursor) if cursor is not None else None
    except BadCursor as e:
        raise BadQuery("cursor is not one this API handed out") from e
    return ListQuery(
        status=OrderStatus(status) if status else None,
        customer_id=customer,
        limit=int(raw_limit),
        after=after,
    )


async def list_orders(request: web.Request) -> web.Response:
    try:
        query = parse_list_query(request.query)
    except BadQuery as e:
        return error_response(400, str(e))
    decision, customer = list_scope(principal(request), query.customer_id)
    if decision is not Decision.ALLOW:  # another customer's list: as if it had no orders
        return error_response(404, "customer not found")
    query = dataclasses.replace(query, customer_id=customer)
    page = await request.app[STORE].list_orders(query)
    return web.json_response(
        {
            "orders": [summary_json(view) for view in page.orders],
            "next_cursor": page.next.encode() if page.next else None,
        }
    )


async def stats(request: web.Request) -> web.Response:
    found = await request.app[STORE].stats()
    feed = request.app[FEED]
    return web.json_response(
        {
            "orders_by_status": {status.value: n for status, n in found.counts.items()},
            "orders_by_stage": orders_by_stage(found.counts),
            "placed_last_minute": found.placed_last_minute,
            "placed_per_second": round(found.placed_per_second, 3),
            "change_feed": {
                "connected": feed.connected,
                "waiting": feed.waiting,
                "streams": feed.streaming,
            },
        }
    )
