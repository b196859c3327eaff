"""HTTP handlers of the front door. Every answer, errors included, is a JSON object."""

import functools
import json
import logging
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from orders.auth.middleware import principal
from orders.auth.rules import Decision, idempotency_scope, place_decision
from orders.domain.events import OrderPlaced
from orders.errors import KeyBusy, KeyReused, PublishError, StoreUnavailable
from orders.http import error_response
from orders.settings import Settings
from producer.api import OrderProducer
from producer.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    IdempotencyStore,
    InvalidKey,
    StoredResponse,
    parse_key,
)
from producer.idempotency.once import PlaceOnce
from producer.schemas import PlaceOrder

_log = logging.getLogger(__name__)

JSON = "application/json"

SETTINGS = web.AppKey("settings", Settings)
ORDER_PRODUCER = web.AppKey("order_producer", OrderProducer)
IDEMPOTENCY: web.AppKey[IdempotencyStore] = web.AppKey("idempotency")


class Rejected(Exception):
    """Carries the error answer for a request we refuse; raised while parsing it."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def place_order(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        key = _idempotency_key(request)
        order = await _parse_order(request, settings.max_body_bytes)
    except Rejected as rejected:
        return rejected.response
    caller = principal(request)
    if place_decision(caller, order.customer_id) is not Decision.ALLOW:
        return error_response(403, "a customer token may place orders only for its own customer_id")
    if key is not None:
        return await _place_once(request, idempotency_scope(caller, key), order)
    try:
        placed = await request.app[ORDER_PRODUCER].place_order(order)
    except PublishError as e:
        _log.warning("order not accepted, broker did not acknowledge: %s", e)
        return retry_later(settings)
    return _render(accepted(settings, placed))


async def _place_once(request: web.Request, key: str, order: PlaceOrder) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    once = PlaceOnce(
        app[ORDER_PRODUCER],
        app[IDEMPOTENCY],
        functools.partial(accepted, settings),
        wait_s=settings.idempotency_lease_s,
    )
    try:
        answer = await once.place(key, order)
    except KeyReused as e:
        return error_response(422, str(e), header=HEADER)
    except KeyBusy as e:
        return retry_later(settings, f"{e}; retry later with the same {HEADER}")
    except StoreUnavailable as e:
        _log.warning("order not accepted, idempotency keys unreachable: %s", e)
        return retry_later(settings)
    except PublishError as e:
        _log.warning("order not accepted, broker did not acknowledge: %s", e)
        return retry_later(settings)
    return _render(answer.response, replayed=answer.replayed)


def accepted(settings: Settings, placed: OrderPlaced) -> StoredResponse:
    """The answer for an order on the log. Sent only then, so the status URL will resolve."""
    url = status_url(settings, placed.order_id)
    body = {"order_id": placed.order_id, "status": "PENDING", "status_url": url}
    return StoredResponse(202, body, {"Location": url})


def status_url(settings: Settings, order_id: str) -> str:
    """Where the status API shows the order."""
    return f"{settings.status_api_public_url.rstrip('/')}/orders/{order_id}"


def _render(response: StoredResponse, *, replayed: bool = False) -> web.Response:
    headers = {**response.headers, REPLAYED_HEADER: "true"} if replayed else response.headers
    return web.json_response(response.body, status=response.status, headers=headers)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        ready = await request.app[ORDER_PRODUCER].ready()
    except PublishError:
        ready = False
    body = {"status": "ready" if ready else "not ready"}
    return web.json_response(body, status=200 if ready else 503)


def retry_later(
    settings: Settings, message: str = "the order could not be recorded right now; retry later"
) -> web.Response:
    retry_after = settings.retry_after_s
    return error_response(
        503,
        message,
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def _idempotency_key(request: web.Request) -> str | None:
    try:
        return parse_key(request.headers.getall(HEADER, []))
    except InvalidKey as e:
        raise Rejected(error_response(400, str(e), header=HEADER)) from None


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
