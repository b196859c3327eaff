"""The stages wired together, for either runtime: the order log's pipeline and the inventory,
given the tables (Faust tables, or the direct runtime's) and the stages' dependencies; and
the dependencies both runtimes make the same way (status store, simulated gateway)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orders.settings import Settings
from orders.status_store import StatusStore
from stream_processors import cancellation, fulfilment, inventory, payment, reservation, validation
from stream_processors.deps import StageDeps
from stream_processors.gateway import SimulatedGateway
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


class LazyStatusStore:
    """Makes the status store on first use (inside the worker's event loop), closes it once."""

    def __init__(self, factory: Callable[[], StatusStore]) -> None:
        self._factory = factory
        self._store: StatusStore | None = None

    async def __call__(self) -> StatusStore:
        if self._store is None:
            self._store = self._factory()
        return self._store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None


def simulated_gateway(settings: Settings) -> SimulatedGateway:
    return SimulatedGateway(
        settings.payment_latency_ms / 1000,
        settings.payment_timeout_s,
        malfunction=settings.fault_injection_gateway_malfunction,
    )


def redis_store_factory(settings: Settings) -> Callable[[], StatusStore]:
    def make() -> StatusStore:
        from orders.status_store.redis import RedisStatusStore  # the adapter, only in workers

        return RedisStatusStore.from_url(
            settings.redis_url,
            settings.redis_namespace,
            change_log_len=settings.change_log_max_len,
        )

    return make
