"""The shape of a `POST /orders` body. Business limits are the validation stage's job, not ours."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from orders.domain.lines import Money, OrderLine, order_total

MAX_ITEMS = 500  # a shape bound (keeps bodies sane); the business line limit is lower and later

# OrderLine already is the line shape we accept: SKU pattern, quantity >= 1, unit price >= 0
# with at most 2 decimal places (from JSON numbers or strings), no extra fields.
Items = Annotated[list[OrderLine], Field(min_length=1, max_length=MAX_ITEMS)]

_MONEY: TypeAdapter[Money] = TypeAdapter(Money)


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str = Field(min_length=1, max_length=128)
    items: Items
    currency: Literal["USD"]
    payment_token: str = Field(min_length=1, max_length=128)

    @field_validator("items")
    @classmethod
    def _total_fits_an_event(cls, items: list[OrderLine]) -> list[OrderLine]:
        # Otherwise building OrderPlaced would fail later, turning bad input into a 500.
        try:
            _MONEY.validate_python(order_total(tuple(items)))
        except ValidationError as e:
            raise ValueError("order total is too large") from e
        return items
