"""POST /orders/{order_id}/cancel: ask for an order to be cancelled.

The front door only screens the request against the status table (404 unknown order, 409 too
late) and puts a CancellationRequested on the order's key, so it is ordered with the order's
processing. The payment stage decides for good: a capture that wins the race refuses the
cancellation, which the status then shows (the order completes instead).
"""

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orders.domain.cancellation import CANCELLABLE
from orders.domain.events import CancellationRequested
from orders.domain.ids import normalise_order_id
from orders.errors import PublishError
from orders.http import error_response
from orders.status_store import StatusStore
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
    view = await request.app[STATUS_STORE].get(order_id) if order_id else None
    if order_id is None or view is None:
        return error_response(404, "order not found")
    if view.status not in CANCELLABLE:
        message = f"order is {view.status.value}: it can no longer be cancelled"
        refusal = {"error": message, "status": view.status.value, "reason": view.reason}
        return web.json_response(refusal, status=409)
    event = CancellationRequested(order_id=order_id, reason=body.reason)
    try:
        await request.app[ORDER_PRODUCER].publish(event)
    except PublishError:
        message = "the cancellation could not be recorded right now; retry later"
        return retry_later(request.app[SETTINGS], message)
    url = status_url(request.app[SETTINGS], order_id)
    answer = {
        "order_id": order_id,
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
