"""Version-1 events, byte for byte as v1 writers wrote them, decode to the newest models; versions
this reader does not know are refused as poison."""

import json
from decimal import Decimal
from typing import Any

import pytest

from orders.contracts.codec import decode_order_event, decode_stock_event, encode
from orders.contracts.upcasters import UPCASTERS, upcast, upcast_embedded
from orders.contracts.versions import LATEST
from orders.domain.events import OrderPlaced, OrderTerms
from orders.errors import DecodeError
from tests.fixtures.events_v1 import ORDER_EVENTS, STOCK_EVENTS, as_json

TERMS = ("OrderPlaced", "OrderValidated", "StockReserved")  # the types v2 changed


def test_fixture_has_every_type_at_version_1() -> None:
    written = [as_json(raw) for raw in ORDER_EVENTS + STOCK_EVENTS]
    assert {d["type"] for d in written} == set(LATEST)
    assert {d["schema_version"] for d in written} == {1}


DECODERS = [(raw, decode_order_event) for raw in ORDER_EVENTS] + [
    (raw, decode_stock_event) for raw in STOCK_EVENTS
]


@pytest.mark.parametrize(("raw", "decode"), DECODERS, ids=[as_json(r)["type"] for r, _ in DECODERS])
def test_every_v1_event_decodes_to_the_newest_model(raw: bytes, decode: Any) -> None:
    v1 = as_json(raw)
    event = decode(raw)
    assert event.schema_version == LATEST[v1["type"]]
    newest = json.loads(encode(event))
    added = set(newest) - set(v1)
    assert added == ({"total_minor"} if v1["type"] in TERMS else set())
    assert {k: newest[k] for k in v1 if k != "schema_version"} == {
        k: v for k, v in v1.items() if k != "schema_version"
    }, "upcasting changed a field v1 already had"


@pytest.mark.parametrize(
    "raw",
    [r for r in ORDER_EVENTS if as_json(r)["type"] in TERMS],
    ids=lambda r: as_json(r)["type"],
)
def test_v1_terms_get_the_total_in_minor_units(raw: bytes) -> None:
    event = decode_order_event(raw)
    assert isinstance(event, OrderTerms)
    assert event.total_minor == int(Decimal(as_json(raw)["total"]) * 100)  # USD: cents


def test_the_first_v1_order_in_numbers() -> None:
    placed = decode_order_event(ORDER_EVENTS[0])
    assert isinstance(placed, OrderPlaced)
    assert (placed.total, placed.currency, placed.total_minor) == (Decimal("13.25"), "USD", 1325)
    assert placed.event_id == as_json(ORDER_EVENTS[0])["event_id"]  # same event, same id


@pytest.mark.parametrize(
    ("currency", "total", "minor"), [("JPY", "1200", 1200), ("KWD", "1.25", 1250), ("EUR", 7, 700)]
)
def test_minor_units_follow_the_currency(currency: str, total: Any, minor: int) -> None:
    data = {**as_json(ORDER_EVENTS[0]), "currency": currency, "total": total}
    data["items"] = [{"sku": "X", "quantity": 1, "unit_price": total}]
    event = decode_order_event(json.dumps(data).encode())
    assert isinstance(event, OrderPlaced)
    assert event.total_minor == minor


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(DecodeError) as info:
        decode_order_event(json.dumps(data).encode())
    return str(info.value)


@pytest.mark.parametrize("version", [3, 99])
def test_a_future_version_is_poison_with_a_clear_error(version: int) -> None:
    message = _error({**as_json(ORDER_EVENTS[0]), "schema_version": version})
    assert f"OrderPlaced: schema_version {version} is newer than this reader knows" in message
    assert "(up to 2)" in message


def test_a_future_version_of_an_unchanged_type_is_poison_too() -> None:
    rejected = next(r for r in ORDER_EVENTS if as_json(r)["type"] == "OrderRejected")
    assert "newer than this reader knows (up to 1)" in _error(
        {**as_json(rejected), "schema_version": 2}
    )


def test_an_event_without_a_version_is_version_1() -> None:
    data = as_json(ORDER_EVENTS[0])
    del data["schema_version"]
    event = decode_order_event(json.dumps(data).encode())
    assert isinstance(event, OrderPlaced)
    assert event.total_minor == 1325


def test_a_v1_event_that_has_the_v2_field_is_poison() -> None:
    assert "v1 has no field total_minor" in _error({**as_json(ORDER_EVENTS[0]), "total_minor": 1})


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "JPY", "total": "11.50"},  # finer than a yen
        {"total": "lots"},
        {"total": None},
        {"total": True},
        {"currency": 840},
    ],
)
def test_a_v1_event_without_a_derivable_total_is_poison(changes: dict[str, Any]) -> None:
    assert "cannot upcast OrderPlaced v1 to v2" in _error({**as_json(ORDER_EVENTS[0]), **changes})


def test_a_v2_event_whose_minor_total_disagrees_is_poison() -> None:
    newest = json.loads(encode(decode_order_event(ORDER_EVENTS[0])))
    assert "total_minor 1300 is not total 13.25 USD (1325)" in _error(
        {**newest, "total_minor": 1300}
    )


def test_upcasters_fill_in_only_what_they_declare() -> None:
    for raw in ORDER_EVENTS:
        v1 = as_json(raw)
        step = UPCASTERS.get((v1["type"], 1))
        if step is not None:
            assert set(step.apply(v1)) - set(v1) == set(step.fills)


def test_upcast_leaves_newest_and_unknown_events_alone() -> None:
    newest = json.loads(encode(decode_order_event(ORDER_EVENTS[0])))
    assert upcast(newest) is newest
    unknown = {"type": "OrderTeleported", "schema_version": 7}
    assert upcast(unknown) is unknown


def test_events_stored_inside_a_record_are_upcast() -> None:
    v1 = as_json(ORDER_EVENTS[1])  # an OrderValidated
    record = {"validated": v1, "history": [v1, {"type": "note"}], "decided": False}
    newest = json.loads(upcast_embedded(json.dumps(record).encode()))
    assert newest["validated"]["schema_version"] == 2
    assert newest["validated"]["total_minor"] == 1325
    assert newest["history"][0] == newest["validated"]
    assert newest["history"][1] == {"type": "note"}  # not an event: no event_id


def test_a_record_of_newest_events_is_left_as_it_is() -> None:
    raw = b'{"validated": %s, "held": {}}' % encode(decode_order_event(ORDER_EVENTS[1]))
    assert upcast_embedded(raw) is raw
