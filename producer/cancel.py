"""POST /orders/{order_id}/cancel: ask for an order to be cancelled.

The front door only screens the request against the status table (404 unknown order, 409 too
late; a new order is in the table before its 202, see producer/pending.py) and puts a
CancellationRequested on the order's key, so it is ordered with the order's processing. The
payment stage decides for good: a capture that wins the race refuses the cancellation, which
the status then shows (the order completes instead).
"""

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orders.auth.middleware import principal
from orders.auth.rules import Decision, order_decision
from orders.domain.cancellation import CANCELLABLE
from orders.domain.events import CancellationRequested
from orders.domain.ids import issued_at, normalise_order_id
from orders.errors import PublishError
from orders.http import error_response
from orders.settings import Settings
from orders.status_store import OrderView, StatusStore
from producer.views import (
    JSON,
    ORDER_PRODUCER,
    SETTINGS,
    Rejected,
    field_errors,
    parse_json,
    retry_later,
    status_url,
)

STATUS_STORE: web.AppKey[StatusStore] = web.AppKey("status_store")

DEFAULT_REASON = "cancelled at the customer's request"

# An id made this recently (its ULID time) that the status table does not know is answered
# 503 + Retry-After rather than 404: it may be an order accepted a moment ago.
JUST_PLACED_S = 60.0


class CancelOrder(BaseModel):
    """The optional body of a cancel request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(DEFAULT_REASON, min_length=1, max_length=500)


async def cancel_order(request: web.Request) -> web.Response:
    order_id = normalise_order_id(request.match_info["order_id"])
    try:
        body = await _parse(request)
    except Rejected as rejected:
        return rejected.response
    if order_id is None:
        return error_response(404, "order not found")
    view = await request.app[STATUS_STORE].get(order_id)
    if view is None:
        return _not_found(request.app[SETTINGS], order_id)
    if order_decision(principal(request), view.customer_id) is not Decision.ALLOW:
        return error_response(404, "order not found")  # another customer's: ids do not leak
    if view.status not in CANCELLABLE:
        return _too_late(view)
    return await _request(request, view, body.reason)


def _not_found(settings: Settings, order_id: str) -> web.Response:
    """404, unless the id is one made moments ago: that may be an accepted order that the
    front door could not record PENDING (Redis failed it) and the projection has not reached
    yet. It gets 503 + Retry-After, so a client never reads "unknown" for an order it placed."""
    age_s = (datetime.now(UTC) - issued_at(order_id)).total_seconds()
    if abs(age_s) <= JUST_PLACED_S:
        message = "order not known yet; if it was just placed, retry shortly"
        return retry_later(settings, message)
    return error_response(404, "order not found")


def _too_late(view: OrderView) -> web.Response:
    message = f"order is {view.status.value}: it can no longer be cancelled"
    refusal = {"error": message, "status": view.status.value, "reason": view.reason}
    return web.json_response(refusal, status=409)


async def _request(request: web.Request, view: OrderView, reason: str) -> web.Response:
    """Put the CancellationRequested on the order's key; 202 once the broker acknowledged."""
    event = CancellationRequested(order_id=view.order_id, reason=reason)
    try:
        await request.app[ORDER_PRODUCER].publish(event)
    except PublishError:
        message = "the cancellation could not be recorded right now; retry later"
        return retry_later(request.app[SETTINGS], message)
    url = status_url(request.app[SETTINGS], view.order_id)
    answer = {
        "order_id": view.order_id,
        "status": view.status.value,
        "cancellation": "requested",
        "status_url": url,
    }
    return web.json_response(answer, status=202, headers={"Location": url})


async def _parse(request: web.Request) -> CancelOrder:
    """The body is optional; when there is one it is JSON like {"reason": "..."}."""
    raw = await request.read()
    if not raw.strip():
        return CancelOrder()
    if request.content_type != JSON:
        raise Rejected(error_response(415, f"Content-Type must be {JSON}", expected=JSON))
    try:
        return CancelOrder.model_validate(parse_json(raw))
    except ValidationError as e:
        message = "invalid cancel request"
        raise Rejected(error_response(422, message, fields=field_errors(e))) from None
