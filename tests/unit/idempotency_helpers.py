"""Test doubles for the front door's Idempotency-Key tests."""

import asyncio
from collections.abc import Callable
from typing import Any

from orders.domain.events import Event
from orders.errors import StoreUnavailable
from producer.idempotency import Claim, StoredResponse
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.publisher import Delivered, RecordingPublisher


def an_order(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customer_id": "cust-1",
        "items": [
            {"sku": "SKU-1", "quantity": 2, "unit_price": 19.99},
            {"sku": "SKU-2", "quantity": 1, "unit_price": "5.00"},
        ],
        "currency": "USD",
        "payment_token": "tok_visa",
    }
    return {**order, **overrides}


class Clock:
    """The store's clock; tests move it forward to let leases run out."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(InMemoryIdempotencyStore):
    """Counts claims, so a test can wait until every request has looked at its key."""

    claims = 0

    async def claim(self, key: str, fingerprint: str, event: bytes) -> Claim:
        self.claims += 1
        return await super().claim(key, fingerprint, event)


class GatedPublisher(RecordingPublisher):
    """Records every attempt; holds each publish until `gate` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[Event] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def publish(self, topic: str, key: str, event: Event) -> Delivered:
        self.attempts.append(event)
        await self.gate.wait()
        return await super().publish(topic, key, event)


class DownStore:
    """A key store that cannot be reached; with `working`, only claims still succeed."""

    def __init__(self, working: InMemoryIdempotencyStore | None = None) -> None:
        self.working = working

    async def claim(self, key: str, fingerprint: str, event: bytes) -> Claim:
        if self.working is None:
            raise StoreUnavailable("connection refused")
        return await self.working.claim(key, fingerprint, event)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        raise StoreUnavailable("connection refused")

    async def release(self, key: str, lease: str) -> None:
        raise StoreUnavailable("connection refused")


async def until(condition: Callable[[], bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)
