"""Stock of one SKU, kept by the SKU's single writer. Every command is idempotent per order."""

from pydantic import BaseModel, ConfigDict

from orders.domain.events import (
    AnyStockEvent,
    CommitStock,
    OrderEvent,
    ReleaseStock,
    ReserveStock,
    StockLineRefused,
    StockLineReserved,
    StockSet,
    derived_event_id,
)


class SkuStock(BaseModel):
    """Units on hand and what each order holds of them. `available` never goes below zero."""

    model_config = ConfigDict(frozen=True)

    on_hand: int = 0
    held: dict[str, int] = {}

    @property
    def available(self) -> int:
        return max(0, self.on_hand - sum(self.held.values()))


def apply_stock_command(
    stock: SkuStock | None, command: AnyStockEvent
) -> tuple[SkuStock | None, list[OrderEvent]]:
    """The SKU's new state (None: SKU unknown) and the replies to send to orders."""
    if isinstance(command, StockSet):
        held = stock.held if stock else {}
        return SkuStock(on_hand=command.quantity, held=held), []
    if isinstance(command, ReserveStock):
        return _reserve(stock, command)
    if stock is None:
        return None, []
    if isinstance(command, ReleaseStock):
        return _without(stock, command.order_id, consumed=False), []
    if isinstance(command, CommitStock):
        return _without(stock, command.order_id, consumed=True), []
    raise TypeError(f"not a stock command: {command!r}")  # pragma: no cover - exhaustive


def _reserve(
    stock: SkuStock | None, command: ReserveStock
) -> tuple[SkuStock | None, list[OrderEvent]]:
    event_id = derived_event_id(command.event_id, "reply")
    common = {"event_id": event_id, "order_id": command.order_id, "sku": command.sku}
    if stock is None:
        refused = StockLineRefused(
            **common, quantity=command.quantity, available=0, unknown_sku=True
        )
        return None, [refused]
    if command.order_id in stock.held:  # redelivered: answer the same again
        return stock, [StockLineReserved(**common, quantity=stock.held[command.order_id])]
    if stock.available < command.quantity:
        refused = StockLineRefused(**common, quantity=command.quantity, available=stock.available)
        return stock, [refused]
    held = {**stock.held, command.order_id: command.quantity}
    return SkuStock(on_hand=stock.on_hand, held=held), [
        StockLineReserved(**common, quantity=command.quantity)
    ]


def _without(stock: SkuStock, order_id: str, *, consumed: bool) -> SkuStock:
    if order_id not in stock.held:
        return stock
    held = dict(stock.held)
    quantity = held.pop(order_id)
    # A StockSet may have lowered on_hand below what was held: never count below zero.
    on_hand = max(0, stock.on_hand - quantity) if consumed else stock.on_hand
    return SkuStock(on_hand=on_hand, held=held)
