"""The client's long-poll (OrderflowClient.watch_terminal), against the status API."""

import asyncio

import pytest

from orderflow.client import OrderflowClient
from orders.domain.status import OrderStatus
from tests.unit.live_helpers import ORDER_ID, Live, live_api

S = OrderStatus


def client_of(live: Live) -> OrderflowClient:
    return OrderflowClient(live.client.session, "http://unused", str(live.client.make_url("")))


async def test_follows_the_order_until_terminal() -> None:
    async with live_api() as live:
        watching = asyncio.create_task(client_of(live).watch_terminal(ORDER_ID, within=10))
        await live.until_waiting()  # not yet written: the request waits rather than 404 at once
        await live.change(S.PENDING, 1)
        await live.change(S.VALIDATED, 2)
        await live.change(S.REJECTED, 3, reason="unknown SKU")

        order = await asyncio.wait_for(watching, 5)

        assert (order["status"], order["version"]) == ("REJECTED", 3)


async def test_asks_only_for_what_it_has_not_seen() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 1)
        client = client_of(live)

        first = await client.changed(ORDER_ID, None, wait=0)
        assert first is not None
        assert first["version"] == 1
        assert await client.changed(ORDER_ID, 1, wait=0) is None  # 304: nothing newer
        assert await client.changed("01JD3Q7ZK5V9W8X2Y4N6M0P1RV", None, wait=0) is None  # 404


async def test_times_out_when_the_order_never_ends() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 1)

        with pytest.raises(TimeoutError, match="not terminal"):
            await client_of(live).watch_terminal(ORDER_ID, within=0.3, wait=0.1)
