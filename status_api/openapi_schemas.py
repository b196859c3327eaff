"""JSON Schemas of the status API's answers (components of its OpenAPI document)."""

from orders.domain.stages import DONE, WAITING_AT
from orders.domain.status import OrderStatus
from orders.openapi import Schema, ref

STATUS: Schema = {"enum": [s.value for s in OrderStatus]}
STAGES_WAITED_FOR = [stage.value for stage in WAITING_AT.values()]
_TEXT_OR_NULL: Schema = {"type": ["string", "null"]}
_TIME: Schema = {"type": "string", "format": "date-time"}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_TOTAL: Schema = {
    "type": ["string", "null"],
    "description": "the order total, a decimal string such as `11.00`",
}
_REF: Schema = {"type": "string", "description": "the id's last characters, for screens"}


def _object(properties: Schema, *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        "properties": properties,
    }


def _order(**extra: Schema) -> Schema:
    return _object(
        {
            "order_id": {"type": "string"},
            **extra,
            "status": STATUS,
            "reason": {**_TEXT_OR_NULL, "description": "why it ended so, when it failed"},
            "version": {
                "type": "integer",
                "description": "offset of the last applied event in the order's partition; "
                "also the answer's ETag",
            },
            "created_at": _TIME,
            "updated_at": _TIME,
            "total": _TOTAL,
        }
    )


def schemas() -> dict[str, Schema]:
    order = _order()
    order["properties"]["history"] = {"type": "array", "items": ref("StatusChange")}
    order["required"].append("history")
    return {
        "Order": order,
        "StatusChange": _object(
            {
                "status": STATUS,
                "at": _TIME,
                "reason": _TEXT_OR_NULL,
                "version": {
                    "type": ["integer", "null"],
                    "description": "the order's version after this change; null for changes "
                    "recorded before history entries carried versions",
                },
            }
        ),
        "OrderSummary": _order(ref=_REF),
        "OrderPage": _object(
            {
                "orders": {"type": "array", "items": ref("OrderSummary")},
                "next_cursor": {
                    **_TEXT_OR_NULL,
                    "description": "pass as `cursor` for the next page; null on the last",
                },
            }
        ),
        "Stats": _object(
            {
                "orders_by_status": {
                    "type": "object",
                    "propertyNames": STATUS,
                    "additionalProperties": _COUNT,
                },
                "orders_by_stage": {
                    **_object({name: _COUNT for name in [*STAGES_WAITED_FOR, DONE]}),
                    "description": "unfinished orders by the stage they wait for (PENDING: "
                    "validation, VALIDATED: reservation, RESERVED: payment, PAID: fulfilment); "
                    "`done`: ended orders",
                },
                "placed_last_minute": _COUNT,
                "placed_per_second": {"type": "number", "minimum": 0},
                "change_feed": _object(
                    {
                        "connected": {
                            "type": "boolean",
                            "description": "subscribed to the change channel now (it "
                            "subscribes while requests wait or stream, and lets go 30 s "
                            "after the last)",
                        },
                        "waiting": _COUNT,
                        "streams": _COUNT,
                    }
                ),
            }
        ),
        "StatusEvent": {
            **_object(
                {
                    "order_id": {"type": "string"},
                    "ref": _REF,
                    "status": STATUS,
                    "reason": _TEXT_OR_NULL,
                    "version": {"type": ["integer", "null"]},
                    "at": _TIME,
                    "created_at": _TIME,
                    "total": _TOTAL,
                }
            ),
            "description": "`data` of a `status` event on /orders/{order_id}/events (its `id` "
            "is the version)",
        },
        "FeedEvent": {
            **_object(
                {
                    "order_id": {"type": "string"},
                    "ref": _REF,
                    "status": STATUS,
                    "reason": _TEXT_OR_NULL,
                    "version": {"type": "integer"},
                }
            ),
            "description": "`data` of a `status` event on /events (its `id` is the change "
            "log id to resume from)",
        },
        "ResetEvent": {
            **_object({"reason": {"type": "string"}}),
            "description": "`data` of a `reset` event on /events: the changes after the "
            "client's Last-Event-ID are no longer kept; read GET /orders again. Its `id` is "
            "the change log's newest (empty when the log is empty)",
        },
    }
