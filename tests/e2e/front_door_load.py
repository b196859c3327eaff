"""Load for the front door's fault tests: orders posted with Idempotency-Keys, every answer
kept (status, body, how long it took), plus helpers to wait for conditions and outcomes."""

import asyncio
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from orderflow.client import OrderflowClient

_REFUSED_PAUSE_S = 0.05  # keeps a client from spinning while nothing listens


@dataclass(frozen=True)
class Answer:
    key: str
    started: float  # loop time
    elapsed: float
    status: int | None  # None: no HTTP answer at all (refused, dropped connection)
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def order_id(self) -> str:
        return str(self.body["order_id"])


async def post_order(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], key: str
) -> Answer:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with session.post(
            f"{url}/orders", json=body, headers={"Idempotency-Key": key}
        ) as response:
            payload = await response.json()
            return Answer(
                key,
                started,
                loop.time() - started,
                response.status,
                payload,
                dict(response.headers),
            )
    except aiohttp.ClientConnectionError as e:
        return Answer(key, started, loop.time() - started, None, error=repr(e))


class Load:
    """`concurrency` clients posting `body`, each order with its own key, each pausing
    `pause_s` after an answer (a bounded rate), until `stop()` or `limit` orders were sent."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        body: dict[str, Any],
        *,
        key_prefix: str,
        concurrency: int,
        limit: int,
        pause_s: float = 0.0,
    ) -> None:
        self.session, self.url, self.body = session, url, body
        self.answers: list[Answer] = []
        self._keys = (f"{key_prefix}-{n}" for n in itertools.count())
        self._concurrency = concurrency
        self._left = limit
        self._pause_s = pause_s
        self._stopped = asyncio.Event()

    @property
    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 202]

    def stop(self) -> None:
        self._stopped.set()

    async def run(self) -> None:
        await asyncio.gather(*(self._client() for _ in range(self._concurrency)))

    async def _client(self) -> None:
        while not self._stopped.is_set() and self._left > 0:
            self._left -= 1
            answer = await post_order(self.session, self.url, self.body, next(self._keys))
            self.answers.append(answer)
            pause = max(self._pause_s, _REFUSED_PAUSE_S if answer.status is None else 0)
            if pause:
                await asyncio.sleep(pause)

    async def until(self, condition: Callable[[list[Answer]], bool], within: float) -> None:
        """Wait until `condition(answers)` holds; fail (with a summary) at the deadline."""
        deadline = asyncio.get_running_loop().time() + within
        while not condition(self.answers):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {within}s: {summary(self.answers)}")
            await asyncio.sleep(0.05)


def summary(answers: Iterable[Answer]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for answer in answers:
        name = str(answer.status or "no answer")
        counts[name] = counts.get(name, 0) + 1
    return counts


async def wait_all_terminal(
    client: OrderflowClient, order_ids: Iterable[str], within: float
) -> dict[str, dict[str, Any]]:
    """The terminal view of every order (polled 16 at a time); TimeoutError at the deadline."""
    limit = asyncio.Semaphore(16)

    async def one(order_id: str) -> tuple[str, dict[str, Any]]:
        async with limit:
            return order_id, await client.wait_terminal(order_id, within=within, interval=0.1)

    async with asyncio.timeout(within + 30):
        return dict(await asyncio.gather(*(one(order_id) for order_id in set(order_ids))))
