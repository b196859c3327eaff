"""The stages wired together, for either runtime: the order log's pipeline and the inventory,
given the tables (Faust tables, or the direct runtime's) and the stages' dependencies."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stream_processors import cancellation, fulfilment, inventory, payment, reservation, validation
from stream_processors.deps import StageDeps
from stream_processors.pipeline import INTAKE, OrderPipeline

ORDER_LOG = "order_events"
STOCK = "stock"

# Each table, and the topic whose partitions (and keys) it follows.
TABLE_SOURCES: Mapping[str, str] = {
    "stock": STOCK,  # by SKU: the inventory is the single writer of each SKU
    "reservations": ORDER_LOG,  # by order id, in the order's partition
    "payments": ORDER_LOG,
    "cancellation-requests": ORDER_LOG,
}


@dataclass
class Stages:
    pipeline: OrderPipeline  # the order log's RecordHandler
    inventory: inventory.InventoryStage  # the stock topic's RecordHandler


def wire(deps: StageDeps, tables: Mapping[str, Any]) -> Stages:
    """`tables` by the names in TABLE_SOURCES."""
    requests = cancellation.CancellationRequests(tables["cancellation-requests"])
    pipeline = OrderPipeline(
        {
            INTAKE: cancellation.intake(requests),
            "validation": validation.handler(deps),
            "reservation": reservation.ReservationStage(tables["reservations"], deps).handle,
            "payment": payment.PaymentStage(tables["payments"], requests, deps).handle,
            "fulfilment": fulfilment.handler(deps),
        },
        deps,
    )
    return Stages(pipeline, inventory.InventoryStage(tables["stock"], deps))
