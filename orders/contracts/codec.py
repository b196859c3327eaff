"""The one codec: events are UTF-8 JSON objects with a `type` field, keys are UTF-8 strings.

The front door, the Faust agents (whose topics carry raw bytes), the tools and the tests all
encode and decode through here, so no framework adds its own envelope. Writers emit each event
type's newest schema version; decoding upcasts older versions first (orders/contracts/
upcasters.py), so every reader gets the newest model, and refuses versions it does not know.
"""

from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from orders.contracts.upcasters import upcast_json
from orders.domain.events import AnyOrderEvent, AnyStockEvent, Event
from orders.errors import DecodeError

_ORDER_EVENTS: TypeAdapter[AnyOrderEvent] = TypeAdapter(AnyOrderEvent)
_STOCK_EVENTS: TypeAdapter[AnyStockEvent] = TypeAdapter(AnyStockEvent)

T = TypeVar("T")


def encode(event: Event) -> bytes:
    return event.model_dump_json().encode()


def encode_key(key: str) -> bytes:
    return key.encode()


def decode_key(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode(errors="replace")


def decode_order_event(raw: bytes | None) -> AnyOrderEvent:
    return _decode(_ORDER_EVENTS, raw)


def decode_stock_event(raw: bytes | None) -> AnyStockEvent:
    return _decode(_STOCK_EVENTS, raw)


def _decode(adapter: TypeAdapter[T], raw: bytes | None) -> T:
    if raw is None:
        raise DecodeError("empty message (no value)")
    try:
        return adapter.validate_json(upcast_json(raw))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'payload'}: {err['msg']}"
            for err in e.errors()[:5]
        )
        raise DecodeError(f"not a valid event: {problems}") from e
