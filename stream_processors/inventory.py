"""Inventory: the single writer of each SKU's stock, fed by the stock topic (keyed by SKU)."""

from typing import Any

from orders.contracts.codec import decode_stock_event
from orders.domain.events import AnyStockEvent
from orders.domain.stock import SkuStock, apply_stock_command
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import RAW_TABLE, run_stage


def register(app: Any, topics: FaustTopics, deps: StageDeps, partitions: int) -> Any:
    # Keys and values are bytes: what a table recovers from its changelog must look up the same.
    stock = app.Table("stock", default=None, partitions=partitions, **RAW_TABLE)

    async def handle(command: AnyStockEvent, offset: int) -> None:
        key = command.sku.encode()
        raw = stock.get(key)
        current = SkuStock.model_validate_json(raw) if raw else None
        # The offset orders the SKU's commands (one partition per SKU): replays are no-ops.
        updated, replies = apply_stock_command(current, command, offset)
        for reply in replies:
            await deps.outbox.order_event(reply)
        if updated is not None and updated != current:
            stock[key] = updated.model_dump_json().encode()

    async def inventory(stream: Any) -> None:
        await run_stage(stream, decode_stock_event, handle, stage="inventory", deps=deps)

    agent = app.agent(topics.stock, name="orderflow.inventory")(inventory)
    return agent, stock
