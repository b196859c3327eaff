"""The CLI and auth: `orderflow token`, and the token the HTTP-calling commands send."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from orderflow.bench import BenchPlan, run_round
from orderflow.cli import main
from orderflow.commands.dev import auth_line
from orderflow.commands.status import show
from orders.auth.principal import Customer, Staff
from orders.auth.verifier import TokenVerifier
from tests.unit.auth_helpers import SECRET, hs256_settings

ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
ENV = {"ORDERFLOW_AUTH_MODE": "jwt", "ORDERFLOW_AUTH_HS256_SECRET": SECRET}


def mint_with_cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["token", *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_token_mints_customer_and_staff_tokens_the_services_accept() -> None:
    verifier = TokenVerifier.from_settings(hs256_settings())
    assert verifier.verify(mint_with_cli("--customer", "alice")) == Customer("alice")
    assert verifier.verify(mint_with_cli("--staff", "--ttl", "10m")) == Staff("staff")


@pytest.mark.parametrize(
    ("args", "env", "error"),
    [
        ([], ENV, "exactly one of"),
        (["--customer", "a", "--staff"], ENV, "exactly one of"),
        (["--staff", "--ttl", "soon"], ENV, "ttl"),
        (["--staff"], {}, "ORDERFLOW_AUTH_HS256_SECRET"),
    ],
)
def test_token_refuses_what_it_cannot_do(args: list[str], env: dict[str, str], error: str) -> None:
    result = CliRunner().invoke(main, ["token", *args], env=env)
    assert result.exit_code != 0
    assert error in result.output


@pytest.fixture
async def recording_server() -> AsyncIterator[tuple[str, list[str | None]]]:
    """A stand-in for both services that notes each request's Authorization header."""
    seen: list[str | None] = []

    async def place(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"order_id": ORDER_ID, "status_url": "x"}, status=202)

    async def order(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        body = {"order_id": ORDER_ID, "status": "COMPLETED", "version": 5, "reason": None}
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/orders", place)
    app.router.add_get("/orders/{order_id}", order)
    async with TestServer(app) as server:
        yield str(server.make_url("")), seen


async def test_bench_sends_its_token(recording_server: tuple[str, list[str | None]]) -> None:
    url, seen = recording_server
    await run_round(url, url, 3, BenchPlan(orders=3, concurrency=2, token="t0k"), "SKU")
    assert len(seen) >= 6
    assert set(seen) == {"Bearer t0k"}


async def test_status_sends_its_token(recording_server: tuple[str, list[str | None]]) -> None:
    url, seen = recording_server
    assert await show(url, ORDER_ID, follow=False, timeout_s=5, token="t0k") == 0
    assert await show(url, ORDER_ID, follow=False, timeout_s=5) == 0
    assert seen == ["Bearer t0k", None]


def test_dev_says_whether_auth_is_on() -> None:
    assert "OFF" in auth_line("none")
    assert "orderflow token" in auth_line("jwt")
