"""The status API's OpenAPI document."""

from orders import openapi as oa
from orders.domain.status import OrderStatus
from orders.openapi import Schema, answer, error, ref

TAG = "orders"

_STATUS: Schema = {"enum": [s.value for s in OrderStatus]}
_NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
_TIME: Schema = {"type": "string", "format": "date-time"}
_ORDER_FIELDS = ("order_id", "status", "reason", "version", "created_at", "updated_at", "total")
_ORDER_FIELDS = ("order_id", "status", "reason", "version", "created_at", "updated_at", "total")


def _order_schemas() -> dict[str, Schema]:
    return {
        "Order": {
            "type": "object",
            "required": [*_ORDER_FIELDS, "history"],
            "additionalProperties": False,
            "properties": {
                "order_id": {"type": "string"},
                "status": _STATUS,
                "reason": {**_NULLABLE_TEXT, "description": "why it ended so, when it failed"},
                "version": {
                    "type": "integer",
                    "description": "offset of the last applied event in the order's partition",
                },
                "created_at": _TIME,
                "updated_at": _TIME,
                "total": {
                    "type": ["string", "null"],
                    "description": "the order total, a decimal string such as `11.00`",
                },
                "history": {"type": "array", "items": ref("StatusChange")},
            },
        },
        "StatusChange": {
            "type": "object",
            "required": ["status", "at", "reason"],
            "additionalProperties": False,
            "properties": {"status": _STATUS, "at": _TIME, "reason": _NULLABLE_TEXT},
        },
    }


def openapi_spec() -> Schema:
    responses = {
        "200": answer("The order and its status history", ref("Order")),
        "404": error("Unknown order, or not an order id"),
        "503": error("The status store (Redis) is unreachable", retry_after=True),
    }
    get_order = oa.operation(
        "An order's status and history",
        responses,
        TAG,
        operationId="getOrder",
        parameters=[
            {
                "name": "order_id",
                "in": "path",
                "required": True,
                "description": "The order id from the front door's answer (case does not matter)",
                "schema": {"type": "string"},
            }
        ],
    )
    paths = {
        "/orders/{order_id}": {"get": get_order},
        **oa.common_paths("the status store (Redis) answers", "ok", "unavailable"),
    }
    return oa.document(
        "orderflow status API",
        "Reads order statuses from the status table. Answers are never cached "
        "(`Cache-Control: no-store`).",
        paths,
        _order_schemas(),
    )
