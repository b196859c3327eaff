"""HTTP handlers of the front door. Every answer, errors included, is a JSON object."""

import json
import logging
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from orders.errors import PublishError
from orders.http import error_response
from orders.settings import Settings
from producer.api import OrderProducer
from producer.schemas import PlaceOrder

_log = logging.getLogger(__name__)

JSON = "application/json"

SETTINGS = web.AppKey("settings", Settings)
ORDER_PRODUCER = web.AppKey("order_producer", OrderProducer)


class Rejected(Exception):
    """Carries the error answer for a request we refuse; raised while parsing it."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def place_order(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        order = await _parse_order(request, settings.max_body_bytes)
    except Rejected as rejected:
        return rejected.response
    try:
        placed = await request.app[ORDER_PRODUCER].place_order(order)
    except PublishError as e:
        _log.warning("order not accepted, broker did not acknowledge: %s", e)
        return retry_later(settings)
    # Answer only now: the event is durable on the log, so the status URL will resolve.
    url = status_url(settings, placed.order_id)
    body = {"order_id": placed.order_id, "status": "PENDING", "status_url": url}
    return web.json_response(body, status=202, headers={"Location": url})


def status_url(settings: Settings, order_id: str) -> str:
    """Where the status API shows the order."""
    return f"{settings.status_api_public_url.rstrip('/')}/orders/{order_id}"


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        ready = await request.app[ORDER_PRODUCER].ready()
    except PublishError:
        ready = False
    body = {"status": "ready" if ready else "not ready"}
    return web.json_response(body, status=200 if ready else 503)


def retry_later(settings: Settings) -> web.Response:
    retry_after = settings.retry_after_s
    return error_response(
        503,
        "the order could not be recorded right now; retry later",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


async def _parse_order(request: web.Request, max_bytes: int) -> PlaceOrder:
    if request.content_type != JSON:
        raise Rejected(error_response(415, f"Content-Type must be {JSON}", expected=JSON))
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        message = f"request body larger than {max_bytes} bytes"
        raise Rejected(error_response(413, message, max_bytes=max_bytes)) from None
    data = parse_json(body)
    try:
        return PlaceOrder.model_validate(data)
    except ValidationError as e:
        raise Rejected(error_response(422, "invalid order", fields=field_errors(e))) from None


def parse_json(body: bytes) -> Any:
    """The JSON document in `body`; raises Rejected (400) when it is not one."""
    try:
        # Decimal keeps prices exact; NaN/Infinity are not JSON, so refuse them here.
        return json.loads(body, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise Rejected(error_response(400, f"malformed JSON: {_short(e)}")) from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not valid JSON")


def _short(error: Exception) -> str:
    return str(error)[:200]


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    # No input echoed back: it may contain the payment token.
    return [
        {"field": ".".join(str(part) for part in err["loc"]) or "body", "message": err["msg"]}
        for err in error.errors(include_url=False, include_input=False)
    ]
