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
    # Position of the last command applied in the SKU's command log (-1: not tracked). A
    # SKU's commands come in one order, so a command at or below it is a redelivery.
    applied: int = -1

    @property
    def available(self) -> int:
        return max(0, self.on_hand - sum(self.held.values()))


def apply_stock_command(
    stock: SkuStock | None, command: AnyStockEvent, position: int | None = None
) -> tuple[SkuStock | None, list[OrderEvent]]:
    """The SKU's new state (None: SKU unknown) and the replies to send to orders.

    `position` is the command's place in the SKU's command log. Holds are keyed by order, but
    that alone does not make a redelivery harmless: a reservation replayed after its commit
    would hold the units again, and the replayed commit would take them off the shelf twice.
    So a command at or below the last position applied changes nothing and is only answered.
    """
    if stock is not None and position is not None and position <= stock.applied:
        return stock, _answer_again(stock, command)
    updated, replies = _apply(stock, command)
    if updated is not None and position is not None:
        updated = updated.model_copy(update={"applied": position})
    return updated, replies


def _apply(
    stock: SkuStock | None, command: AnyStockEvent
) -> tuple[SkuStock | None, list[OrderEvent]]:
    if isinstance(command, StockSet):
        if stock is None:
            return SkuStock(on_hand=command.quantity), []
        return stock.model_copy(update={"on_hand": command.quantity}), []
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
    common = _reply_fields(command)
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
    return stock.model_copy(update={"held": held}), [
        StockLineReserved(**common, quantity=command.quantity)
    ]


def _reply_fields(command: ReserveStock) -> dict[str, str]:
    """What every answer to `command` shares; its id derives from the command's."""
    event_id = derived_event_id(command.event_id, "reply")
    return {"event_id": event_id, "order_id": command.order_id, "sku": command.sku}


def _answer_again(stock: SkuStock, command: AnyStockEvent) -> list[OrderEvent]:
    """The reply to a redelivered reservation, from the current state: reserved while the
    order holds the units. Otherwise it was refused the first time (a refusal is right), or the
    order has ended since (its saga has decided, and ignores the refusal)."""
    if not isinstance(command, ReserveStock):
        return []
    common = _reply_fields(command)
    if command.order_id in stock.held:
        return [StockLineReserved(**common, quantity=stock.held[command.order_id])]
    return [StockLineRefused(**common, quantity=command.quantity, available=stock.available)]


def _without(stock: SkuStock, order_id: str, *, consumed: bool) -> SkuStock:
    if order_id not in stock.held:
        return stock
    held = dict(stock.held)
    quantity = held.pop(order_id)
    # A StockSet may have lowered on_hand below what was held: never count below zero.
    on_hand = max(0, stock.on_hand - quantity) if consumed else stock.on_hand
    return stock.model_copy(update={"on_hand": on_hand, "held": held})
