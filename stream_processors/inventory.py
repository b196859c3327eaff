"""Inventory: the single writer of each SKU's stock, fed by the stock topic (keyed by SKU)."""

from typing import Any

from orders.contracts.codec import decode_stock_event
from orders.domain.stock import SkuStock, apply_stock_command
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import RAW_TABLE, decoded


def register(app: Any, topics: FaustTopics, deps: StageDeps, partitions: int) -> Any:
    # Keys and values are bytes: what a table recovers from its changelog must look up the same.
    stock = app.Table("stock", default=None, partitions=partitions, **RAW_TABLE)

    async def inventory(stream: Any) -> None:
        async for command, offset in decoded(stream, decode_stock_event, "inventory"):
            key = command.sku.encode()
            raw = stock.get(key)
            current = SkuStock.model_validate_json(raw) if raw else None
            # The offset orders the SKU's commands (one partition per SKU): replays are no-ops.
            updated, replies = apply_stock_command(current, command, offset)
            for reply in replies:
                await deps.outbox.order_event(reply)
            if updated is not None and updated != current:
                stock[key] = updated.model_dump_json().encode()

    agent = app.agent(topics.stock, name="orderflow.inventory")(inventory)
    return agent, stock
