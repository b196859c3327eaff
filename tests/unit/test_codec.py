"""The codec: every event survives encode/decode; anything else is a DecodeError."""

import json
import typing
from decimal import Decimal
from typing import Any

import pytest

from orders.contracts.codec import (
    decode_key,
    decode_order_event,
    decode_stock_event,
    encode,
    encode_key,
)
from orders.domain.events import (
    AnyOrderEvent,
    AnyStockEvent,
    CancellationRefused,
    CancellationRequested,
    CommitStock,
    Event,
    OrderCancelled,
    OrderCompleted,
    OrderPlaced,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    ReleaseStock,
    ReserveStock,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
    StockSet,
)
from orders.domain.lines import OrderLine
from orders.domain.money import to_minor_units
from orders.errors import DecodeError

LINES = (
    OrderLine(sku="SKU-1", quantity=2, unit_price=Decimal("0.10")),
    OrderLine(sku="sku.2_b", quantity=1, unit_price=Decimal("0.20")),
)
TOTAL = Decimal("0.40")
ORDER = "order-1"

ORDER_EVENTS: list[Any] = [
    OrderPlaced(
        order_id=ORDER,
        customer_id="cust-1",
        items=LINES,
        currency="EUR",
        payment_token="tok_ok",
        total=TOTAL,
        total_minor=40,
    ),
    OrderValidated(
        order_id=ORDER,
        items=LINES,
        currency="EUR",
        payment_token="tok_ok",
        total=TOTAL,
        total_minor=40,
    ),
    OrderRejected(order_id=ORDER, reason="too many lines: 51 > 50"),
    StockLineReserved(order_id=ORDER, sku="SKU-1", quantity=2),
    StockLineRefused(order_id=ORDER, sku="SKU-1", quantity=2, available=1),
    StockLineRefused(order_id=ORDER, sku="SKU-9", quantity=2, available=0, unknown_sku=True),
    StockReserved(
        order_id=ORDER,
        items=LINES,
        currency="EUR",
        payment_token="tok_ok",
        total=TOTAL,
        total_minor=40,
    ),
    OutOfStock(order_id=ORDER, reason="not enough stock: SKU-1 (wanted 2, available 1)"),
    PaymentCaptured(order_id=ORDER, payment_id="pay_1", amount=TOTAL, items=LINES),
    PaymentDeclined(order_id=ORDER, reason="card declined", items=LINES),
    OrderCompleted(order_id=ORDER),
    OrderCancelled(order_id=ORDER, reason="customer asked"),
    OrderCancelled(order_id=ORDER, reason="customer asked", items=LINES),
    CancellationRequested(order_id=ORDER, reason="customer asked"),
    CancellationRequested(order_id=ORDER, reason="stuck in RESERVED", requested_by="deadline"),
    CancellationRefused(order_id=ORDER, reason="too late to cancel: payment was already captured"),
]
STOCK_EVENTS: list[Any] = [
    StockSet(sku="SKU-1", quantity=0),
    StockSet(sku="SKU-1", quantity=25),
    ReserveStock(sku="SKU-1", order_id=ORDER, quantity=3),
    ReleaseStock(sku="SKU-1", order_id=ORDER),
    CommitStock(sku="SKU-1", order_id=ORDER),
]


def _union_members(annotated: Any) -> set[type]:
    union = typing.get_args(annotated)[0]
    return set(typing.get_args(union))


def _placed_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(encode(ORDER_EVENTS[0]))
    data.update(changes)
    return data


def _raw(data: Any) -> bytes:
    return json.dumps(data).encode()


def test_samples_cover_every_event_type() -> None:
    assert {type(e) for e in ORDER_EVENTS} == _union_members(AnyOrderEvent)
    assert {type(e) for e in STOCK_EVENTS} == _union_members(AnyStockEvent)


@pytest.mark.parametrize("event", ORDER_EVENTS, ids=lambda e: e.type)
def test_order_events_round_trip(event: Event) -> None:
    raw = encode(event)
    assert isinstance(raw, bytes)
    decoded = decode_order_event(raw)
    assert type(decoded) is type(event)
    assert decoded == event
    assert encode(decoded) == raw


@pytest.mark.parametrize("event", STOCK_EVENTS, ids=lambda e: e.type)
def test_stock_events_round_trip(event: Event) -> None:
    raw = encode(event)
    decoded = decode_stock_event(raw)
    assert type(decoded) is type(event)
    assert decoded == event
    assert encode(decoded) == raw


def test_encoding_is_plain_json_with_a_type_field() -> None:
    data = json.loads(encode(ORDER_EVENTS[0]).decode("utf-8"))
    assert data["type"] == "OrderPlaced"
    assert data["schema_version"] == 2
    assert data["total_minor"] == 40
    assert data["order_id"] == ORDER


@pytest.mark.parametrize(
    ("prices", "total"),
    [
        (("0.10", "0.20"), "0.30"),
        (("0.10", "0.10", "0.10"), "0.30"),
        (("0.01",), "0.01"),
        (("9999999.99", "0.01"), "10000000.00"),
    ],
)
def test_decimal_totals_survive_exactly(prices: tuple[str, ...], total: str) -> None:
    lines = tuple(
        OrderLine(sku=f"S{i}", quantity=1, unit_price=Decimal(p)) for i, p in enumerate(prices)
    )
    placed = OrderPlaced(
        order_id=ORDER,
        customer_id="c",
        items=lines,
        currency="EUR",
        payment_token="t",
        total=Decimal(total),
        total_minor=to_minor_units(Decimal(total), "EUR"),
    )
    decoded = decode_order_event(encode(placed))
    assert isinstance(decoded, OrderPlaced)
    assert isinstance(decoded.total, Decimal)
    assert str(decoded.total) == total
    assert sum((line.subtotal for line in decoded.items), Decimal(0)) == Decimal(total)
    assert [str(line.unit_price) for line in decoded.items] == list(prices)


@pytest.mark.parametrize("key", ["order-1", "SKU-1", "ordre-é-ü-€", ""])
def test_keys_round_trip(key: str) -> None:
    raw = encode_key(key)
    assert raw == key.encode("utf-8")
    assert decode_key(raw) == key


def test_missing_key_decodes_to_none() -> None:
    assert decode_key(None) is None


def test_non_utf8_key_does_not_raise() -> None:
    assert decode_key(b"ab\xff") == "ab\ufffd"


def _decode_error(raw: bytes | None, decoder: Any = decode_order_event) -> str:
    with pytest.raises(DecodeError) as info:
        decoder(raw)
    return str(info.value)


@pytest.mark.parametrize("decoder", [decode_order_event, decode_stock_event])
def test_rejects_none(decoder: Any) -> None:
    assert "empty" in _decode_error(None, decoder)


@pytest.mark.parametrize("decoder", [decode_order_event, decode_stock_event])
@pytest.mark.parametrize("raw", [b"", b"not json", b"{", b'{"type": "OrderPlaced",}'])
def test_rejects_non_json(raw: bytes, decoder: Any) -> None:
    assert "Invalid JSON" in _decode_error(raw, decoder)


@pytest.mark.parametrize("raw", [b"[]", b"[1, 2]", b'"OrderPlaced"', b"42", b"null"])
def test_rejects_json_that_is_not_an_object(raw: bytes) -> None:
    assert "not a valid event" in _decode_error(raw)


def test_rejects_unknown_type() -> None:
    message = _decode_error(_raw(_placed_json(type="OrderShipped")))
    assert "OrderShipped" in message


def test_rejects_missing_type() -> None:
    data = _placed_json()
    del data["type"]
    assert "type" in _decode_error(_raw(data))


@pytest.mark.parametrize("field", ["order_id", "customer_id", "items", "total", "currency"])
def test_rejects_missing_required_field(field: str) -> None:
    data = _placed_json()
    del data[field]
    message = _decode_error(_raw(data))
    assert field in message
    assert "required" in message.lower()


def test_rejects_missing_field_of_a_stock_command() -> None:
    data = json.loads(encode(ReserveStock(sku="A", order_id=ORDER, quantity=1)))
    del data["order_id"]
    assert "order_id" in _decode_error(_raw(data), decode_stock_event)


def test_rejects_extra_field() -> None:
    message = _decode_error(_raw(_placed_json(discount="0.05")))
    assert "discount" in message


def test_rejects_extra_field_inside_a_line() -> None:
    data = _placed_json()
    data["items"][0]["colour"] = "red"
    assert "colour" in _decode_error(_raw(data))


@pytest.mark.parametrize("version", [0, 3, "2", None, True, 2.0])
def test_rejects_wrong_schema_version(version: Any) -> None:
    assert "schema_version" in _decode_error(_raw(_placed_json(schema_version=version)))


def test_rejects_negative_line_quantity() -> None:
    data = _placed_json()
    data["items"][0]["quantity"] = -1
    message = _decode_error(_raw(data))
    assert "quantity" in message
    assert "items.0" in message


def test_rejects_negative_price_and_total() -> None:
    assert "total" in _decode_error(_raw(_placed_json(total="-0.40")))
    data = _placed_json()
    data["items"][1]["unit_price"] = "-0.20"
    assert "unit_price" in _decode_error(_raw(data))


@pytest.mark.parametrize(
    "data",
    [
        {"type": "StockSet", "sku": "A", "quantity": -1},
        {"type": "ReserveStock", "sku": "A", "order_id": ORDER, "quantity": -2},
        {"type": "ReserveStock", "sku": "A", "order_id": ORDER, "quantity": 0},
    ],
    ids=["StockSet", "ReserveStock-negative", "ReserveStock-zero"],
)
def test_rejects_bad_stock_command_quantity(data: dict[str, Any]) -> None:
    assert "quantity" in _decode_error(_raw(data), decode_stock_event)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "StockLineReserved", "order_id": ORDER, "sku": "A", "quantity": -3},
        {"type": "StockLineRefused", "order_id": ORDER, "sku": "A", "quantity": -3, "available": 0},
        {"type": "StockLineRefused", "order_id": ORDER, "sku": "A", "quantity": 3, "available": -1},
    ],
    ids=["reserved-quantity", "refused-quantity", "refused-available"],
)
def test_rejects_negative_quantity_in_stock_answers(data: dict[str, Any]) -> None:
    _decode_error(_raw(data))


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00",
        b'{"type": "OrderCompleted", "order_id": "o\xff1"}',
        b'{"type": "OrderCompleted", "order_id": "\xc3\x28"}',
    ],
)
def test_rejects_non_utf8(raw: bytes) -> None:
    assert "Invalid JSON" in _decode_error(raw)


@pytest.mark.parametrize("event", STOCK_EVENTS, ids=lambda e: e.type)
def test_stock_event_is_not_an_order_event(event: Event) -> None:
    message = _decode_error(encode(event))
    assert event.type in message  # type: ignore[attr-defined]


@pytest.mark.parametrize("event", ORDER_EVENTS[:3], ids=lambda e: e.type)
def test_order_event_is_not_a_stock_command(event: Event) -> None:
    message = _decode_error(encode(event), decode_stock_event)
    assert event.type in message  # type: ignore[attr-defined]


def test_rejects_invalid_sku() -> None:
    data = json.loads(encode(StockSet(sku="A", quantity=1)))
    data["sku"] = "../etc"
    assert "sku" in _decode_error(_raw(data), decode_stock_event)
