"""Authentication on (ORDERFLOW_AUTH_MODE=jwt), on the real processes: customers see only their
own orders, staff sees all, and the staff routes refuse customers (README, Security)."""

import asyncio
from typing import Any

import aiohttp

from orderflow.client import auth_headers, order_body
from orderflow.sse_client import events
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.auth.mint import mint
from orders.domain.status import OrderStatus
from tests.e2e.browser import browser_page
from tests.e2e.conftest import StackFactory

AUTH: dict[str, Any] = {
    "auth_mode": "jwt",
    "auth_hs256_secret": "e2e-secret-" + "x" * 32,
    "auth_issuer": "orderflow-tests",
    "auth_audience": "orderflow",
}
TIMEOUT = aiohttp.ClientTimeout(total=90)


class Caller:
    """One token's view of the two services."""

    def __init__(self, http: aiohttp.ClientSession, stack: LocalStack, token: str | None) -> None:
        self.http, self.stack, self.headers = http, stack, auth_headers(token)

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.stack.status_url + path, headers=self.headers) as response:
            return response.status, await response.json()

    async def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        url = self.stack.producer_url + path
        async with self.http.post(url, json=body, headers=self.headers) as response:
            return response.status, await response.json()

    async def follow(self, order_id: str) -> list[str]:
        """The order's statuses from its event stream, until it ends."""
        url = f"{self.stack.status_url}/orders/{order_id}/events"
        async with self.http.get(url, headers=self.headers) as response:
            assert response.status == 200, await response.text()
            return [event.data["status"] async for event in events(response)]

    async def stream_status(self, path: str) -> int:
        async with self.http.get(self.stack.status_url + path, headers=self.headers) as response:
            return response.status  # the stream (if any) is closed unread


def tokens(stack: LocalStack) -> tuple[str, str, str]:
    settings = stack.settings
    return (
        mint(settings, "cust-a", staff=False, ttl_s=600),
        mint(settings, "cust-b", staff=False, ttl_s=600),
        mint(settings, "ops", staff=True, ttl_s=600),
    )


async def test_customers_see_only_their_own_orders_and_staff_sees_all(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1, **AUTH)
    sku = f"{stack.settings.topic_prefix}-A"
    await set_stock(stack.settings, {sku: 10})
    a_token, b_token, staff_token = tokens(stack)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        a, b, staff = (Caller(http, stack, t) for t in (a_token, b_token, staff_token))

        status, placed = await a.post("/orders", order_body([(sku, 1, "3.00")], customer="cust-a"))
        assert status == 202, placed
        order_id = placed["order_id"]
        # B's stream of A's order waits like one for an unknown order (then 404): meanwhile
        # A follows its order to the end.
        b_stream, followed = await asyncio.gather(
            b.stream_status(f"/orders/{order_id}/events"), a.follow(order_id)
        )
        assert followed[-1] == OrderStatus.COMPLETED.value
        assert b_stream == 404

        assert (await b.get(f"/orders/{order_id}"))[0] == 404
        assert (await b.get("/orders?customer_id=cust-a"))[0] == 404
        assert (await b.post(f"/orders/{order_id}/cancel"))[0] == 404
        _, b_list = await b.get("/orders")
        assert order_id not in [o["order_id"] for o in b_list["orders"]]
        status, _ = await b.post("/orders", order_body([(sku, 1, "3.00")], customer="cust-a"))
        assert status == 403

        _, a_list = await a.get("/orders")
        assert [o["order_id"] for o in a_list["orders"]] == [order_id]
        status, seen = await staff.get(f"/orders/{order_id}")
        assert (status, seen["status"]) == (200, OrderStatus.COMPLETED.value)
        _, staff_list = await staff.get("/orders?customer_id=cust-a")
        assert [o["order_id"] for o in staff_list["orders"]] == [order_id]


async def test_staff_routes_refuse_customers_and_every_route_wants_a_token(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1, **AUTH)
    a_token, _, staff_token = tokens(stack)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        customer, staff = Caller(http, stack, a_token), Caller(http, stack, staff_token)
        anonymous = Caller(http, stack, None)
        for path in ("/events", "/dashboard.json", "/stats"):
            assert await customer.stream_status(path) == 403, path
            assert await staff.stream_status(path) == 200, path
            assert await anonymous.stream_status(path) == 401, path
        for path in ("/board", "/dashboard", "/healthz", "/openapi.json"):
            assert await anonymous.stream_status(path) == 200, path

        url = f"{stack.producer_url}/orders"
        async with http.post(url, json=order_body([("X", 1, "1.00")], customer="x")) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="orderflow"'
        wrong_audience = mint(stack.settings.model_copy(update={"auth_audience": "billing"}),
                              "cust-a", staff=False, ttl_s=60)  # fmt: skip
        async with http.get(
            f"{stack.status_url}/orders", headers=auth_headers(wrong_audience)
        ) as response:
            assert response.status == 401
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    logs = "".join(path.read_text() for path in stack.log_dir.glob("*.log"))
    assert "AUTHENTICATION IS OFF" not in logs  # said only when auth is off (unit-tested)


async def test_board_and_dashboard_work_with_a_staff_token_in_the_fragment(
    stack_factory: StackFactory,
) -> None:
    """The pages hold no data: with the token in their URL fragment they read it (the board
    its list and GET /events, with ?access_token=), and an order placed shows up live."""
    stack = stack_factory(workers=1, **AUTH)
    sku = f"{stack.settings.topic_prefix}-B"
    await set_stock(stack.settings, {sku: 10})
    a_token, _, staff_token = tokens(stack)
    async with (
        browser_page(1280, 720, timeout_ms=60_000) as page,
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
    ):
        await page.goto(f"{stack.status_url}/board#token={staff_token}")
        await page.wait_for_selector("#connection.online")
        body = order_body([(sku, 1, "3.00")], customer="cust-a")
        status, placed = await Caller(http, stack, a_token).post("/orders", body)
        assert status == 202, placed
        await page.wait_for_selector(f'#ready li[data-order-id="{placed["order_id"]}"]')

        await page.goto(f"{stack.status_url}/dashboard#token={staff_token}")
        await page.wait_for_selector("body[data-loaded='true']")
