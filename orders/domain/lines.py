"""Order lines and money: value objects shared by events and stage rules."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class OrderLine(BaseModel):
    """One line of an order: how many of which SKU, at what unit price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Sku
    quantity: Annotated[int, Field(ge=1, strict=True)]  # strict: JSON true is not 1
    unit_price: Money

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


def order_total(lines: tuple[OrderLine, ...]) -> Decimal:
    return sum((line.subtotal for line in lines), Decimal("0"))


def quantities_by_sku(lines: tuple[OrderLine, ...]) -> dict[str, int]:
    """Quantities summed per SKU: two lines of one SKU are one reservation."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals
