"""The compatibility check over JSON Schemas catches each kind of breaking change, both in
hand-broken schemas and in schemas generated from deliberately broken models."""

import copy
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

from orders.contracts.compat import breaking_changes
from orders.contracts.schemas import generate
from orders.domain.events import CancellationRequested, OrderPlaced, OrderTerms
from orders.domain.lines import Money

V2 = generate(OrderPlaced)


def _v3(change: Any) -> dict[str, Any]:
    schema = copy.deepcopy(V2)
    schema["properties"]["schema_version"] = {"const": 3, "default": 3, "type": "integer"}
    change(schema)
    return schema


def test_the_real_v1_to_v2_step_needs_its_upcaster() -> None:
    v1 = {**V2, "required": [f for f in V2["required"] if f != "total_minor"]}
    assert breaking_changes(v1, V2, filled=["total_minor"]) == []
    assert breaking_changes(v1, V2) == ["total_minor: newly required, and no upcaster fills it in"]


def test_a_version_bump_alone_and_new_optional_fields_are_compatible() -> None:
    def add_optional(s: dict[str, Any]) -> None:
        s["properties"]["channel"] = {"type": "string", "default": "web"}

    assert breaking_changes(V2, _v3(lambda s: None)) == []
    assert breaking_changes(V2, _v3(add_optional)) == []


def test_removing_a_field_breaks() -> None:
    def remove(s: dict[str, Any]) -> None:
        del s["properties"]["customer_id"]
        s["required"].remove("customer_id")

    assert breaking_changes(V2, _v3(remove)) == ["customer_id: removed"]


@pytest.mark.parametrize(
    ("field", "new_schema", "problem"),
    [
        ("total_minor", {"type": "string"}, "total_minor: type changed from integer to string"),
        ("total", {"type": "string"}, "total: type changed from number|string to string"),
        ("customer_id", {"type": ["string", "null"]}, "customer_id: type changed"),
    ],
)
def test_changing_a_type_breaks(field: str, new_schema: Any, problem: str) -> None:
    problems = breaking_changes(V2, _v3(lambda s: s["properties"].update({field: new_schema})))
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_adding_a_required_field_breaks_unless_an_upcaster_fills_it() -> None:
    def require(s: dict[str, Any]) -> None:
        s["properties"]["channel"] = {"type": "string"}
        s["required"].append("channel")

    assert breaking_changes(V2, _v3(require)) == [
        "channel: newly required, and no upcaster fills it in"
    ]
    assert breaking_changes(V2, _v3(require), filled=["channel"]) == []


def test_changes_inside_a_line_are_found_through_refs() -> None:
    def break_lines(s: dict[str, Any]) -> None:
        line = s["$defs"]["OrderLine"]
        line["properties"]["quantity"] = {"type": "string"}
        del line["properties"]["unit_price"]
        line["properties"]["colour"] = {"type": "string"}
        line["required"] = ["sku", "quantity", "colour"]

    assert breaking_changes(V2, _v3(break_lines)) == [
        "items[].quantity: type changed from integer to string",
        "items[].unit_price: removed",
        "items[].colour: newly required, and no upcaster fills it in",
    ]


def test_dropping_an_allowed_value_breaks_and_renaming_the_type_too() -> None:
    old = generate(CancellationRequested)
    narrowed = copy.deepcopy(old)
    narrowed["properties"]["requested_by"]["enum"] = ["customer"]
    narrowed["properties"]["type"]["const"] = "CancelRequested"
    assert set(breaking_changes(old, narrowed)) == {
        "requested_by: no longer allows 'deadline'",
        "type: no longer allows 'CancellationRequested'",
    }


# Deliberately broken next versions of OrderPlaced, as a developer might write them.
class PlacedWithoutCustomer(OrderTerms):  # forgot customer_id
    type: Literal["OrderPlaced"] = "OrderPlaced"
    schema_version: Literal[3] = 3


class PlacedWithIntegerToken(OrderTerms):  # payment_token became an integer
    type: Literal["OrderPlaced"] = "OrderPlaced"
    schema_version: Literal[3] = 3
    payment_token: int
    customer_id: str


class PlacedWithChannel(OrderTerms):  # a new required field, no upcaster
    type: Literal["OrderPlaced"] = "OrderPlaced"
    schema_version: Literal[3] = 3
    customer_id: str
    channel: Literal["web", "api"]


class PlacedWithDiscount(OrderTerms):  # a new optional field: fine
    type: Literal["OrderPlaced"] = "OrderPlaced"
    schema_version: Literal[3] = 3
    customer_id: str = Field(min_length=1, max_length=128)
    discount: Annotated[Money, Field()] | None = None


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (PlacedWithoutCustomer, "customer_id: removed"),
        (PlacedWithIntegerToken, "payment_token: type changed from string to integer"),
        (PlacedWithChannel, "channel: newly required, and no upcaster fills it in"),
    ],
)
def test_broken_models_fail_the_check(model: Any, problem: str) -> None:
    assert problem in breaking_changes(V2, generate(model))


def test_a_model_with_a_new_optional_field_passes() -> None:
    assert breaking_changes(V2, generate(PlacedWithDiscount)) == []
