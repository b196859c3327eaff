"""The front door's OpenAPI document, built from the request models and the settings."""

from orders import openapi as oa
from orders.auth.openapi import secured
from orders.domain.cancellation import CANCELLABLE
from orders.domain.status import OrderStatus
from orders.openapi import Schema, answer, error, ref
from orders.settings import Settings
from producer.access import ROUTES
from producer.cancel import CancelOrder
from producer.idempotency.keys import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER
from producer.schemas import PlaceOrder

TAG = "orders"

LOCATION: Schema = {
    "description": "The order's status URL on the status API",
    "required": True,
    "schema": {"type": "string"},
}

ORDER_ID: Schema = {
    "name": "order_id",
    "in": "path",
    "required": True,
    "description": "The order id (a ULID, 26 characters; case does not matter)",
    "schema": {"type": "string"},
}


def _response_schemas() -> dict[str, Schema]:
    status_url = {"type": "string", "description": "where the status API shows the order"}
    return {
        "OrderAccepted": {
            "type": "object",
            "required": ["order_id", "status", "status_url"],
            "additionalProperties": False,
            "properties": {
                "order_id": {"type": "string"},
                "status": {"const": OrderStatus.PENDING.value},
                "status_url": status_url,
            },
        },
        "CancellationRequested": {
            "type": "object",
            "required": ["order_id", "status", "cancellation", "status_url"],
            "additionalProperties": False,
            "properties": {
                "order_id": {"type": "string"},
                "status": {"enum": sorted(s.value for s in CANCELLABLE)},
                "cancellation": {"const": "requested"},
                "status_url": status_url,
            },
        },
        "CancellationRefused": {
            "type": "object",
            "required": ["error", "status", "reason"],
            "additionalProperties": False,
            "properties": {
                "error": {"type": "string"},
                "status": {"enum": sorted(s.value for s in OrderStatus if s not in CANCELLABLE)},
                "reason": {"type": ["string", "null"]},
            },
        },
    }


def _place_order(settings: Settings) -> Schema:
    key = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "Makes retries safe: one key, one order (kept for "
        f"{settings.idempotency_ttl_s} s). 1 to {MAX_KEY_LENGTH} visible ASCII characters.",
        "schema": {"type": "string", "pattern": f"^[\\x21-\\x7e]{{1,{MAX_KEY_LENGTH}}}$"},
    }
    replayed = {
        "description": "`true` when the answer repeats an earlier request's (same key)",
        "required": False,
        "schema": {"const": "true"},
    }
    accepted = answer(
        "Accepted: the broker acknowledged the OrderPlaced event",
        ref("OrderAccepted"),
        {"Location": LOCATION, REPLAYED_HEADER: replayed},
    )
    responses = {
        "202": accepted,
        "400": error(f"Malformed JSON, or a malformed {HEADER}"),
        "413": error(f"Body larger than {settings.max_body_bytes} bytes"),
        "415": error("Content-Type is not application/json"),
        "422": error(f"Invalid order (see `fields`), or an {HEADER} reused with another body"),
        "503": error("Kafka (or, with a key, Redis) unreachable: retry later", retry_after=True),
    }
    return oa.operation(
        "Place an order",
        responses,
        TAG,
        operationId="placeOrder",
        parameters=[key],
        requestBody={"required": True, "content": oa.json_body(ref("PlaceOrder"))},
    )


def _cancel_order(settings: Settings) -> Schema:
    accepted = answer(
        "Cancellation requested; the status URL shows the outcome",
        ref("CancellationRequested"),
        {"Location": LOCATION},
    )
    responses = {
        "202": accepted,
        "400": error("Malformed JSON"),
        "404": error("No such order"),
        "409": answer("Too late: the order is paid or ended", ref("CancellationRefused")),
        "413": error(f"Body larger than {settings.max_body_bytes} bytes"),
        "415": error("A body that is not application/json"),
        "422": error("Invalid body (see `fields`)"),
        "503": error(
            "Kafka or Redis unreachable, or an order placed a moment ago not known yet: "
            "retry later",
            retry_after=True,
        ),
    }
    return oa.operation(
        "Ask for an order to be cancelled",
        responses,
        TAG,
        operationId="cancelOrder",
        parameters=[ORDER_ID],
        requestBody={"required": False, "content": oa.json_body(ref("CancelOrder"))},
    )


# Answers only a service with authentication on gives (orders/auth/openapi.py adds them).
AUTH_RESPONSES: dict[str, Schema] = {
    "POST /orders": {"403": error("A customer token placing an order for another customer")},
}


def openapi_spec(settings: Settings) -> Schema:
    paths = {
        "/orders": {"post": _place_order(settings)},
        "/orders/{order_id}/cancel": {"post": _cancel_order(settings)},
        **oa.common_paths("the broker answers and the order topic exists", "ready", "not ready"),
    }
    schemas = {**oa.model_schemas(PlaceOrder, CancelOrder), **_response_schemas()}
    return oa.document(
        "orderflow front door",
        "Places orders on the Kafka order log and asks for cancellations. "
        "Statuses are read from the status API.",
        paths,
        schemas,
    )


def served_document(settings: Settings) -> Schema:
    """The document the front door serves: with the security its settings enforce."""
    return secured(openapi_spec(settings), ROUTES, settings, AUTH_RESPONSES)
