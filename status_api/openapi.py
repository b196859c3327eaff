"""The status API's OpenAPI document."""

from orders import openapi as oa
from orders.auth.openapi import secured
from orders.openapi import Schema, answer, error, ref
from orders.settings import Settings
from orders.status_store.queries import MAX_LIMIT
from status_api import listing, watch
from status_api.access import ROUTES
from status_api.openapi_dashboard import dashboard_paths, dashboard_schema
from status_api.openapi_schemas import STATUS, schemas

TAG = "orders"
STREAMS = "live"

ETAG: Schema = {
    "description": 'The order\'s version, quoted: `"57"`',
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
_VERSION: Schema = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
_SSE = "text/event-stream"


def _param(name: str, where: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema}  # fmt: skip


ORDER_ID = _param(
    "order_id", "path", "The order id from the front door's answer (case does not matter)",
    {"type": "string"},
)  # fmt: skip


def _get_order() -> Schema:
    wait = f"Wait up to this many seconds (0 to {watch.MAX_WAIT_S:g}) for a change"
    parameters = [
        ORDER_ID,
        _param("wait", "query", wait, {"type": "number", "minimum": 0, "maximum": 60}),
        _param("since_version", "query", "Answer only with a newer version (else 304)", _VERSION),
        _param("If-None-Match", "header", "ETags the client holds (else 304)", {"type": "string"}),
    ]
    responses = {
        "200": answer("The order and its status history", ref("Order"), {"ETag": ETAG}),
        "304": {
            "description": "Not newer than the version the client has",
            "headers": {"ETag": ETAG},
        },
        "400": error("A malformed `wait` or `since_version`"),
        "404": error("Unknown order, or not an order id (after `wait`, if given)"),
        "503": error("The status store (Redis) is unreachable", retry_after=True),
    }
    return oa.operation("An order's status and history; long-poll with `wait`", responses, TAG,
                        operationId="getOrder", parameters=parameters)  # fmt: skip


def _list_orders() -> Schema:
    limit = {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": listing.DEFAULT_LIMIT,
    }
    parameters = [
        _param("limit", "query", "Orders per page", limit),
        _param("status", "query", "Only orders in this status", STATUS),
        _param("customer_id", "query", "Only this customer's orders",
               {"type": "string", "minLength": 1, "maxLength": 200}),
        _param("cursor", "query", "`next_cursor` of the page before", {"type": "string"}),
    ]  # fmt: skip
    responses = {
        "200": answer("A page of orders, newest first", ref("OrderPage")),
        "400": error("A malformed parameter, or a cursor this API did not hand out"),
        "503": error("The status store (Redis) is unreachable", retry_after=True),
    }
    return oa.operation("Orders, newest first, in pages", responses, TAG,
                        operationId="listOrders", parameters=parameters)  # fmt: skip


def _order_events() -> Schema:
    last = "Resume after this version (EventSource sends it on reconnect)"
    parameters = [
        ORDER_ID,
        _param("Last-Event-ID", "header", last, {"type": "string", "pattern": "^ *[0-9]{0,18} *$"}),
        _param("last_event_id", "query", "The same, for clients that cannot set headers",
               {"type": "string", "pattern": "^ *[0-9]{0,18} *$"}),
    ]  # fmt: skip
    responses = {
        "200": oa.text("Server-Sent Events: one `status` event (data: StatusEvent) per change, "
                       "until the order ends", _SSE),
        "400": error("A malformed Last-Event-ID"),
        "404": error("Unknown order (after waiting a while for it to appear)"),
        "503": error("The status store (Redis) is unreachable", retry_after=True),
    }  # fmt: skip
    return oa.operation("An order's status changes as they happen (SSE)", responses, STREAMS,
                        operationId="orderEvents", parameters=parameters)  # fmt: skip


def _all_events() -> Schema:
    last = (
        "Resume after this change log id (`1718000000000-0`; EventSource sends it on "
        "reconnect). An id the log no longer holds, or a malformed one, gets a `reset` "
        "event; a blank one is no id"
    )
    parameters = [
        _param("Last-Event-ID", "header", last, {"type": "string"}),
        _param("last_event_id", "query", "The same, for clients that cannot set headers",
               {"type": "string"}),
    ]  # fmt: skip
    responses = {
        "200": oa.text("Server-Sent Events, never ending: one `status` event (data: FeedEvent, "
                       "id: its change log id) per change; after a Last-Event-ID, first the "
                       "changes since it, or one `reset` event (data: ResetEvent)", _SSE),
        "503": error("The status store (Redis) is unreachable (only when resuming)",
                     retry_after=True),
    }  # fmt: skip
    return oa.operation("Every order's status changes as they happen (SSE)", responses, STREAMS,
                        operationId="allEvents", parameters=parameters)  # fmt: skip


def _paths() -> dict[str, Schema]:
    def get(summary: str, responses: Schema, tag: str, operation_id: str) -> Schema:
        return {"get": oa.operation(summary, responses, tag, operationId=operation_id)}

    static = _param("filename", "path", "board.css or board.js", {"type": "string"})
    return {
        "/orders/{order_id}": {"get": _get_order()},
        "/orders": {"get": _list_orders()},
        "/stats": get("Orders by status, placement rate, live connections",
                      {"200": answer("Counts", ref("Stats")),
                       "503": error("The status store (Redis) is unreachable", retry_after=True)},
                      TAG, "stats"),
        "/orders/{order_id}/events": {"get": _order_events()},
        "/events": {"get": _all_events()},
        "/board": get("The pickup screen", {"200": oa.text("An HTML page", "text/html")},
                      STREAMS, "board"),
        "/board/static/{filename}": {"get": oa.operation(
            "The screen's CSS and JavaScript",
            {"200": {"description": "The file", "content": {
                 "text/css": {"schema": {"type": "string"}},
                 "text/javascript": {"schema": {"type": "string"}}}},
             "404": error("No such file")},
            STREAMS, operationId="boardStatic", parameters=[static])},
    }  # fmt: skip


# Answers only a service with authentication on gives (orders/auth/openapi.py adds them).
AUTH_RESPONSES: dict[str, Schema] = {
    "GET /orders": {"404": error("A customer token asking for another customer's orders")},
}


def openapi_spec() -> Schema:
    return oa.document(
        "orderflow status API",
        "Reads order statuses from the status table, and follows them live (long-poll, "
        "Server-Sent Events). Answers are never cached (`Cache-Control: no-store`).",
        {
            **_paths(),
            **dashboard_paths(),
            **oa.common_paths("the status store (Redis) answers", "ok", "unavailable"),
        },
        {**schemas(), "Dashboard": dashboard_schema()},
    )


def served_document(settings: Settings) -> Schema:
    """The document the status API serves: with the security its settings enforce."""
    return secured(openapi_spec(), ROUTES, settings, AUTH_RESPONSES)
