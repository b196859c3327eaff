"""`orderflow status ORDER_ID [--follow]`: an order's status from the status API, and with
--follow every change as it happens (the order's event stream), until a terminal status."""

import asyncio
from typing import Any

import aiohttp
import click

from orderflow.client import auth_headers
from orderflow.commands.context import command_settings
from orderflow.commands.token import token_option
from orderflow.sse_client import events


def line(order: dict[str, Any]) -> str:
    reason = f"  ({order['reason']})" if order.get("reason") else ""
    when = order.get("at") or order.get("updated_at") or ""
    return f"{when}  {order['status']:<16} v{order['version']}{reason}"


async def show(
    base: str, order_id: str, follow: bool, timeout_s: float, token: str | None = None
) -> int:
    timeout = aiohttp.ClientTimeout(total=None if follow else timeout_s, sock_connect=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, headers=auth_headers(token)) as session:
        if not follow:
            async with session.get(f"{base}/orders/{order_id}") as response:
                body = await response.json()
                if response.status != 200:
                    raise click.ClickException(f"{response.status}: {body.get('error')}")
            click.echo(f"{body['order_id']}  ref {body['order_id'][-5:]}")
            click.echo(line(body))
            return 0
        async with session.get(f"{base}/orders/{order_id}/events") as response:
            if response.status != 200:
                body = await response.json()
                raise click.ClickException(f"{response.status}: {body.get('error')}")
            click.echo(f"{order_id}  following (Ctrl-C stops)")
            async for event in events(response):
                click.echo(line(event.data))
    return 0


@click.command()
@click.argument("order_id")
@click.option("--follow", "-f", is_flag=True, help="Print every change live, until the order ends.")
@click.option("--url", default=None, help="Status API base URL (default: STATUS_API_PUBLIC_URL).")
@click.option("--timeout", "timeout_s", default=10.0, show_default=True, help="Seconds to wait.")
@token_option
def status(
    order_id: str, follow: bool, url: str | None, timeout_s: float, token: str | None
) -> None:
    """Show an order's status (with --follow: every change as it happens)."""
    base = (url or command_settings().status_api_public_url).rstrip("/")
    try:
        asyncio.run(show(base, order_id, follow, timeout_s, token))
    except aiohttp.ClientError as e:
        raise click.ClickException(f"status API at {base} did not answer: {e}") from e
