"""A small HTTP client for the two services: used by the demo, the benchmark and e2e tests."""

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from orders.domain.status import TERMINAL, OrderStatus


@dataclass(frozen=True)
class Placed:
    order_id: str
    status_url: str


class OrderflowClient:
    def __init__(self, session: aiohttp.ClientSession, producer_url: str, status_url: str):
        self.session = session
        self.producer_url = producer_url.rstrip("/")
        self.status_url = status_url.rstrip("/")

    async def place(self, order: dict[str, Any]) -> Placed:
        async with self.session.post(f"{self.producer_url}/orders", json=order) as response:
            body = await response.json()
            if response.status != 202:
                raise RuntimeError(f"POST /orders answered {response.status}: {body}")
            return Placed(body["order_id"], body["status_url"])

    async def cancel(self, order_id: str, reason: str | None = None) -> tuple[int, dict[str, Any]]:
        """Ask to cancel; returns the HTTP status (202, 404, 409...) and the JSON answer."""
        body = {"reason": reason} if reason else None
        url = f"{self.producer_url}/orders/{order_id}/cancel"
        async with self.session.post(url, json=body) as response:
            answer: dict[str, Any] = await response.json()
            return response.status, answer

    async def wait_status(
        self, order_id: str, wanted: set[OrderStatus], within: float = 60.0
    ) -> dict[str, Any]:
        """Poll until the order is in one of `wanted` or terminal; TimeoutError at the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            order = await self.order(order_id)
            if order is not None and OrderStatus(order["status"]) in wanted | TERMINAL:
                return order
            if loop.time() > deadline:
                raise TimeoutError(f"order {order_id} not in {wanted} after {within}s: {order}")
            await asyncio.sleep(0.02)

    async def order(self, order_id: str) -> dict[str, Any] | None:
        async with self.session.get(f"{self.status_url}/orders/{order_id}") as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def wait_terminal(
        self, order_id: str, within: float = 60.0, interval: float = 0.02
    ) -> dict[str, Any]:
        """Poll until the order reaches a terminal status; raise TimeoutError at the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            order = await self.order(order_id)
            if order is not None and OrderStatus(order["status"]) in TERMINAL:
                return order
            if loop.time() > deadline:
                raise TimeoutError(f"order {order_id} not terminal after {within}s: {order}")
            await asyncio.sleep(interval)

    async def watch_terminal(
        self, order_id: str, within: float = 60.0, wait: float = 30.0
    ) -> dict[str, Any]:
        """Long-poll (`?wait=` with `since_version`) until the order reaches a terminal status:
        each request returns as soon as the order changes. TimeoutError at the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        order: dict[str, Any] | None = None
        while (remaining := deadline - loop.time()) > 0:
            known = None if order is None else int(order["version"])
            order = await self.changed(order_id, known, min(wait, remaining)) or order
            if order is not None and OrderStatus(order["status"]) in TERMINAL:
                return order
        raise TimeoutError(f"order {order_id} not terminal after {within}s: {order}")

    async def changed(self, order_id: str, known: int | None, wait: float) -> dict[str, Any] | None:
        """The order once it is newer than version `known` (None: once it exists), waiting up
        to `wait` seconds; None when nothing new came in that time."""
        params = {"wait": f"{wait:.3f}"}
        if known is not None:
            params["since_version"] = str(known)
        url = f"{self.status_url}/orders/{order_id}"
        async with self.session.get(url, params=params) as response:
            if response.status in (304, 404):
                return None
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def ready(self) -> bool:
        try:
            for base in (self.producer_url, self.status_url):
                async with self.session.get(f"{base}/readyz") as response:
                    if response.status != 200:
                        return False
        except aiohttp.ClientError:
            return False
        return True


def auth_headers(token: str | None) -> dict[str, str]:
    """The headers that carry a bearer token (none without one)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def order_body(
    lines: list[tuple[str, int, str]], token: str = "tok_visa", customer: str = "demo"
) -> dict[str, Any]:
    """A POST /orders body from (sku, quantity, unit_price) triples."""
    return {
        "customer_id": customer,
        "items": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
        "currency": "USD",
        "payment_token": token,
    }
