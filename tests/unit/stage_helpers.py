"""Builders shared by the stage tests: a worker app wired to fakes, and sample events."""

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from orders.contracts import codec
from orders.domain.events import Event, OrderPlaced
from orders.domain.lines import OrderLine, order_total
from orders.domain.money import to_minor_units
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from stream_processors.app import WorkerApp, create_app
from stream_processors.dead_letters import RecordingDeadLetters
from stream_processors.gateway import SimulatedGateway
from stream_processors.outbox import RecordingOutbox


class Wired:
    def __init__(self, settings: Settings | None = None) -> None:
        self.outbox = RecordingOutbox()
        self.store = InMemoryStatusStore()
        self.gateway = SimulatedGateway(latency_s=0, timeout_s=0.01)
        self.dead_letters = RecordingDeadLetters()
        self.worker: WorkerApp = create_app(
            settings or Settings(kafka_bootstrap_servers="127.0.0.1:1", payment_attempts=2),
            outbox=self.outbox,
            status_store=lambda: self.store,
            gateway=self.gateway,
            dead_letters=self.dead_letters,
        )
        self.worker.deps.retry_initial_s = 0.001

    def agent(self, name: str) -> Any:
        """The agent that runs stage `name`: the inventory, or the order log's one reader."""
        return self.worker.agents["inventory" if name == "inventory" else "orders"]


def placed(order_id: str = "01JTESTORDER0000000000000A", *lines: OrderLine, token: str = "tok_ok",
           total: Decimal | None = None) -> OrderPlaced:  # fmt: skip
    items = lines or (OrderLine(sku="BURGER", quantity=2, unit_price=Decimal("5.50")),)
    amount = order_total(items) if total is None else total
    return OrderPlaced(
        order_id=order_id,
        customer_id="c-1",
        items=items,
        currency="USD",
        payment_token=token,
        total=amount,
        total_minor=to_minor_units(amount, "USD"),
    )


async def put(agent: Any, event: Event, key: str) -> None:
    await agent.put(codec.encode(event), key=key.encode())


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `condition()` holds: a Faust test agent acknowledges a value as soon as it
    takes it, before its handler is done."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.001)
