"""Events: immutable facts about orders and stock. Each has a `type` that names its class and
a `schema_version`: its own version, bumped when its fields change (README, Schema evolution).
Writers emit the version declared here; older versions are upcast on reading
(orders/contracts/upcasters.py), so the rest of the code only ever sees these models.

Order events travel on the order event log (keyed by order id); stock commands on the stock
topic (keyed by SKU). Events emitted in reaction to another carry a deterministic id derived
from their cause, so a redelivered cause yields an identical event, which consumers ignore.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orders.domain.lines import Money, OrderLine, Sku
from orders.domain.money import to_minor_units

_NAMESPACE = uuid.UUID("6f1c1f8e-6a8e-4d0e-9a53-0b5d7f0f2d11")


def new_event_id() -> str:
    return str(uuid.uuid4())


def derived_event_id(cause_event_id: str, *parts: str) -> str:
    """A stable id for an event caused by `cause_event_id` (same cause, same id)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join((cause_event_id, *parts))))


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=new_event_id, min_length=1, max_length=64)
    occurred_at: datetime = Field(default_factory=utc_now)
    schema_version: int  # every event type declares its own: `schema_version: Literal[N] = N`


class OrderEvent(Event):
    order_id: str = Field(min_length=1, max_length=64)


Lines = Annotated[tuple[OrderLine, ...], Field(min_length=1)]


class OrderTerms(OrderEvent):
    """What was ordered and how it is paid: carried forward by the events that later stages
    act on, so each stage needs nothing but the event in front of it."""

    items: Lines
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_token: str = Field(min_length=1, max_length=128)
    total: Money
    # Since version 2: the total in the currency's minor units (cents), what the payment
    # gateway is charged. Version 1 events get it from `total` and `currency` by upcasting.
    total_minor: Annotated[int, Field(ge=0, strict=True)]

    @model_validator(mode="after")
    def _total_minor_is_the_total(self) -> Self:
        expected = to_minor_units(self.total, self.currency)
        if self.total_minor != expected:
            raise ValueError(
                f"total_minor {self.total_minor} is not total {self.total} {self.currency} "
                f"({expected})"
            )
        return self

    def terms(self) -> dict[str, Any]:
        """The order id and terms, to build the next event that carries them."""
        fields = ("order_id", "items", "currency", "payment_token", "total", "total_minor")
        return {f: getattr(self, f) for f in fields}


class OrderPlaced(OrderTerms):
    """The front door accepted an order (status PENDING)."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    schema_version: Literal[2] = 2
    customer_id: str = Field(min_length=1, max_length=128)


class OrderValidated(OrderTerms):
    """Lines and total are within limits."""

    type: Literal["OrderValidated"] = "OrderValidated"
    schema_version: Literal[2] = 2


class OrderRejected(OrderEvent):
    type: Literal["OrderRejected"] = "OrderRejected"
    schema_version: Literal[1] = 1
    reason: str


class StockLineReserved(OrderEvent):
    """The SKU's owner holds `quantity` units for this order (no status change)."""

    type: Literal["StockLineReserved"] = "StockLineReserved"
    schema_version: Literal[1] = 1
    sku: Sku
    quantity: Annotated[int, Field(ge=1)]


class StockLineRefused(OrderEvent):
    """The SKU's owner could not hold stock for this order (no status change)."""

    type: Literal["StockLineRefused"] = "StockLineRefused"
    schema_version: Literal[1] = 1
    sku: Sku
    quantity: Annotated[int, Field(ge=1)]
    available: Annotated[int, Field(ge=0)]
    unknown_sku: bool = False


class StockReserved(OrderTerms):
    """Every line is held (status RESERVED)."""

    type: Literal["StockReserved"] = "StockReserved"
    schema_version: Literal[2] = 2


class OutOfStock(OrderEvent):
    """Some SKU had too little stock; held lines were released by the reservation stage."""

    type: Literal["OutOfStock"] = "OutOfStock"
    schema_version: Literal[1] = 1
    reason: str


class PaymentCaptured(OrderEvent):
    type: Literal["PaymentCaptured"] = "PaymentCaptured"
    schema_version: Literal[1] = 1
    payment_id: str
    amount: Money
    items: Lines


class PaymentDeclined(OrderEvent):
    type: Literal["PaymentDeclined"] = "PaymentDeclined"
    schema_version: Literal[1] = 1
    reason: str
    items: Lines


class OrderCompleted(OrderEvent):
    type: Literal["OrderCompleted"] = "OrderCompleted"
    schema_version: Literal[1] = 1


class CancellationRequested(OrderEvent):
    """Someone asked to cancel (no status change yet). The payment stage decides, in the
    order's log order, whether it is still possible: it is until payment is captured."""

    type: Literal["CancellationRequested"] = "CancellationRequested"
    schema_version: Literal[1] = 1
    reason: str = Field(min_length=1, max_length=500)
    requested_by: Literal["customer", "deadline"] = "customer"


class CancellationRefused(OrderEvent):
    """Too late to cancel: payment was settled or the order had ended (no status change)."""

    type: Literal["CancellationRefused"] = "CancellationRefused"
    schema_version: Literal[1] = 1
    reason: str


class OrderCancelled(OrderEvent):
    """The order is cancelled (status CANCELLED); the reservation stage gives back its stock."""

    type: Literal["OrderCancelled"] = "OrderCancelled"
    schema_version: Literal[1] = 1
    reason: str
    items: tuple[OrderLine, ...] = ()  # unused since cancellation moved to the payment stage


class StockEvent(Event):
    sku: Sku


class StockSet(StockEvent):
    """Sets the units on hand for a SKU (and makes the SKU known to the catalog)."""

    type: Literal["StockSet"] = "StockSet"
    schema_version: Literal[1] = 1
    quantity: Annotated[int, Field(ge=0)]


class ReserveStock(StockEvent):
    type: Literal["ReserveStock"] = "ReserveStock"
    schema_version: Literal[1] = 1
    order_id: str
    quantity: Annotated[int, Field(ge=1)]


class ReleaseStock(StockEvent):
    """Give back what an order holds of this SKU (compensation); a no-op if it holds nothing."""

    type: Literal["ReleaseStock"] = "ReleaseStock"
    schema_version: Literal[1] = 1
    order_id: str


class CommitStock(StockEvent):
    """The order was fulfilled: what it holds leaves the shelf for good."""

    type: Literal["CommitStock"] = "CommitStock"
    schema_version: Literal[1] = 1
    order_id: str


AnyOrderEvent = Annotated[
    OrderPlaced
    | OrderValidated
    | OrderRejected
    | StockLineReserved
    | StockLineRefused
    | StockReserved
    | OutOfStock
    | PaymentCaptured
    | PaymentDeclined
    | OrderCompleted
    | CancellationRequested
    | CancellationRefused
    | OrderCancelled,
    Field(discriminator="type"),
]

AnyStockEvent = Annotated[
    StockSet | ReserveStock | ReleaseStock | CommitStock, Field(discriminator="type")
]
