"""Inventory: the single writer of each SKU's stock, fed by the stock topic (keyed by SKU).

Its records are worked on in lanes by SKU (stream_processors/consume.py): one SKU's commands
in log order, different SKUs at once.
"""

from typing import Any

from orders.contracts.codec import decode_stock_event
from orders.domain.events import AnyStockEvent
from orders.domain.stock import SkuStock, apply_stock_command
from orders.errors import DecodeError
from stream_processors.deps import StageDeps
from stream_processors.streams import RAW_TABLE, StageLoop

STAGE = "inventory"


def stock_table(app: Any, partitions: int, **changelog: Any) -> Any:
    # Keys and values are bytes: what a table recovers from its changelog must look up the same.
    return app.Table("stock", default=None, partitions=partitions, **RAW_TABLE, **changelog)


class InventoryStage:
    """The RecordHandler (stream_processors/consume.py) of the stock topic."""

    def __init__(self, stock: Any, deps: StageDeps) -> None:
        self.stock = stock
        self.deps = deps
        self.loop = StageLoop(STAGE, decode_stock_event, self.handle, deps)

    async def arrive(self, message: Any) -> AnyStockEvent | DecodeError:
        try:
            return decode_stock_event(message.value)
        except DecodeError as exc:
            return exc

    async def work(self, message: Any, arrived: AnyStockEvent | DecodeError) -> None:
        if isinstance(arrived, DecodeError):
            await self.loop.dead_letter_poison(message, arrived)
        else:
            await self.loop.handle_decoded(message, arrived)

    async def handle(self, command: AnyStockEvent, offset: int) -> None:
        key = command.sku.encode()
        raw = self.stock.get(key)
        current = SkuStock.model_validate_json(raw) if raw else None
        # The offset orders the SKU's commands (one partition per SKU): replays are no-ops.
        updated, replies = apply_stock_command(current, command, offset)
        for reply in replies:
            await self.deps.outbox.order_event(reply)
        if updated is not None and updated != current:
            self.stock[key] = updated.model_dump_json().encode()
