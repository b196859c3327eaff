"""The shape of a `POST /orders` body. Business limits are the validation stage's job, not ours.

The request is stricter about spelling than the domain's OrderLine, so that its JSON Schema
(served in the OpenAPI document) says exactly what is accepted.
"""

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from orders.domain.lines import Money, OrderLine, Sku, order_total

MAX_ITEMS = 500  # shape bounds (keep bodies and numbers sane); the business limits are lower
MAX_QUANTITY = 1_000_000_000  # and applied later, by the validation stage

# A price is a JSON number, or a plain decimal string. Decimal's own parser would also take
# " 5.5", "1e2", "1_000" or digits of other scripts, which no client means.
PRICE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2}0*)?$"
_PRICE = re.compile(PRICE_PATTERN)
_PRICE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 999999999999.99, "multipleOf": 0.01},
        {"type": "string", "pattern": PRICE_PATTERN},
    ],
    "description": 'at most 12 digits before the point and 2 after: 5.5 or "5.50"',
}


def _plain_price(value: object) -> object:
    if isinstance(value, str) and not _PRICE.fullmatch(value):
        raise ValueError('a price is a number or a decimal string like "5.50"')
    return value


def _integral(value: object) -> object:
    # JSON numbers with a fraction arrive as Decimal: 2.0 is the integer 2 in JSON (and JSON
    # Schema), 2.5 is not. Huge exponents are left for the strict check to refuse cheaply.
    if not isinstance(value, Decimal) or not value.is_finite() or value.adjusted() >= 18:
        return value
    return int(value) if value == value.to_integral_value() else value


Price = Annotated[Money, BeforeValidator(_plain_price), WithJsonSchema(_PRICE_SCHEMA)]
# Constraints before the validator: the other order renders them as "ge"/"le" in the JSON Schema.
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY), BeforeValidator(_integral)]


class LineRequest(BaseModel):
    """One line of a request (an OrderLine, or a dict shaped like one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)

    sku: Sku
    quantity: Quantity  # strict: JSON true or "2" is not 2
    unit_price: Price

    def line(self) -> OrderLine:
        return OrderLine(sku=self.sku, quantity=self.quantity, unit_price=self.unit_price)


Items = Annotated[list[LineRequest], Field(min_length=1, max_length=MAX_ITEMS)]

_MONEY: TypeAdapter[Money] = TypeAdapter(Money)


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str = Field(min_length=1, max_length=128)
    items: Items
    currency: Literal["USD"]
    payment_token: str = Field(min_length=1, max_length=128)

    @field_validator("items")
    @classmethod
    def _total_fits_an_event(cls, items: list[LineRequest]) -> list[LineRequest]:
        # Otherwise building OrderPlaced would fail later, turning bad input into a 500.
        try:
            _MONEY.validate_python(order_total(tuple(item.line() for item in items)))
        except ValidationError as e:
            raise ValueError("order total is too large") from e
        return items

    def lines(self) -> tuple[OrderLine, ...]:
        return tuple(item.line() for item in self.items)
