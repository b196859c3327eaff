"""`orderflow demo`: sample orders, some failing on purpose, shown live as their status moves."""

import asyncio
from dataclasses import dataclass

import aiohttp
from rich.console import Console
from rich.live import Live
from rich.table import Table

from orderflow.client import OrderflowClient, auth_headers, order_body
from orders.auth.mint import mint
from orders.domain.status import TERMINAL, OrderStatus
from orders.settings import Settings


@dataclass(frozen=True)
class Sample:
    what: str
    lines: list[tuple[str, int, str]]
    token: str
    expect: OrderStatus


SAMPLES = [
    Sample("2 burgers and fries", [("BURGER", 2, "5.50"), ("FRIES", 1, "2.50")], "tok_visa",
           OrderStatus.COMPLETED),
    Sample("a cola", [("COLA", 1, "1.99")], "tok_visa", OrderStatus.COMPLETED),
    Sample("salad and cola", [("SALAD", 1, "7.00"), ("COLA", 2, "1.99")], "tok_mastercard",
           OrderStatus.COMPLETED),
    Sample("a pizza (not on the menu)", [("PIZZA", 1, "9.00")], "tok_visa", OrderStatus.REJECTED),
    Sample("500 fries (over the line limit)", [("FRIES", 500, "2.50")], "tok_visa",
           OrderStatus.REJECTED),
    Sample("5 shakes (3 in stock)", [("SHAKE", 5, "3.50"), ("COLA", 1, "1.99")], "tok_visa",
           OrderStatus.OUT_OF_STOCK),
    Sample("a burger, card declined", [("BURGER", 1, "5.50")], "tok_decline",
           OrderStatus.PAYMENT_DECLINED),
    Sample("fries, gateway times out", [("FRIES", 1, "2.50")], "tok_timeout",
           OrderStatus.PAYMENT_DECLINED),
]  # fmt: skip


def _table(rows: list[tuple[Sample, str, dict[str, object] | None]]) -> Table:
    table = Table(title="orderflow demo: orders and their status")
    for column in ("order id", "order", "status", "reason", "expected"):
        table.add_column(column)
    for sample, order_id, order in rows:
        status = str(order["status"]) if order else "(not yet visible)"
        reason = str(order.get("reason") or "") if order else ""
        style = "green" if status == sample.expect else ("yellow" if order else "dim")
        table.add_row(order_id, sample.what, f"[{style}]{status}[/]", reason, sample.expect)
    return table


def demo_token(settings: Settings) -> str | None:
    """With auth on and a shared secret, the demo acts as staff with a token of its own."""
    if settings.auth_mode == "none" or settings.auth_hs256_secret is None:
        return None
    return mint(settings, "orderflow-demo", staff=True, ttl_s=3600)


async def run_samples(
    producer_url: str, status_url: str, within: float = 90, token: str | None = None
) -> bool:
    """Place every sample, show the statuses live; True when each ended as expected."""
    async with aiohttp.ClientSession(headers=auth_headers(token)) as session:
        client = OrderflowClient(session, producer_url, status_url)
        placed = [(s, (await client.place(order_body(s.lines, s.token))).order_id) for s in SAMPLES]
        rows: list[tuple[Sample, str, dict[str, object] | None]] = [(s, i, None) for s, i in placed]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        with Live(_table(rows), console=Console(), refresh_per_second=8) as live:
            while loop.time() < deadline:
                rows = [(s, i, await client.order(i)) for s, i, _ in rows]
                live.update(_table(rows))
                if all(o and OrderStatus(str(o["status"])) in TERMINAL for _, _, o in rows):
                    break
                await asyncio.sleep(0.1)
    return all(o is not None and o["status"] == s.expect for s, _, o in rows)
