"""Orders placed the way a careful client places them while brokers come and go: each with its
own Idempotency-Key, a 503 retried with the same key once its Retry-After has passed, every
answer kept. Plus the figures the README's failure table reports."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from orderflow.client import order_body
from orders.domain.status import TERMINAL, OrderStatus
from tests.e2e.faults import Planned

RETRY_PAUSE_CAP_S = 1.0  # a 503's Retry-After, at most this, before the same key is retried


@dataclass(frozen=True)
class Answer:
    key: str
    started: float  # loop time
    ended: float
    status: int | None  # None: no HTTP answer (connection refused or dropped)
    order_id: str | None = None
    retry_after: str | None = None


@dataclass
class RetryingLoad:
    """Places `plan` at `per_second`, `concurrency` at a time, until all are accepted (each
    retried up to `retry_within` seconds) or `stop()`."""

    session: aiohttp.ClientSession
    url: str
    plan: Sequence[Planned]
    key_prefix: str
    per_second: float
    concurrency: int = 32
    retry_within: float = 120.0
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, Planned] = field(default_factory=dict)  # by order id
    given_up: list[str] = field(default_factory=list)  # keys never accepted
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        limit = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one(index: int, planned: Planned) -> None:
            due = max(0.0, start + index / self.per_second - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), due)
            if self._stopping.is_set():
                return
            async with limit:
                await self._until_accepted(f"{self.key_prefix}-{index}", planned)

        await asyncio.gather(*(one(i, p) for i, p in enumerate(self.plan)))

    async def _until_accepted(self, key: str, planned: Planned) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_within
        body = order_body(planned.lines, planned.token)
        while loop.time() < deadline:
            answer = await self._post(key, body)
            self.answers.append(answer)
            if answer.status == 202 and answer.order_id is not None:
                self.accepted[answer.order_id] = planned
                return
            if answer.status not in (503, None):
                return  # a wrong answer: the test fails on it; retrying would hide it
            pause = float(answer.retry_after or 0.1)
            await asyncio.sleep(min(pause, RETRY_PAUSE_CAP_S))
        self.given_up.append(key)

    async def _post(self, key: str, body: dict[str, Any]) -> Answer:
        loop = asyncio.get_running_loop()
        started = loop.time()
        headers = {"Idempotency-Key": key}
        try:
            async with self.session.post(f"{self.url}/orders", json=body, headers=headers) as r:
                payload = await r.json(content_type=None)
                order_id = payload.get("order_id") if isinstance(payload, dict) else None
                return Answer(
                    key, started, loop.time(), r.status, order_id, r.headers.get("Retry-After")
                )
        except aiohttp.ClientConnectionError:
            return Answer(key, started, loop.time(), None)


def save_answers(path: Path, answers: Sequence[Answer], marks: dict[str, float]) -> None:
    """Every answer and the moments the test marked (a kill, a restart), for reading after a
    failure (`--basetemp` keeps the file)."""
    rows = [asdict(a) for a in answers]
    path.write_text(json.dumps({"marks": marks, "answers": rows}, indent=1))


@dataclass(frozen=True)
class ClientFigures:
    """What the clients saw: the failure table's first columns."""

    answers: int
    statuses: dict[str, int]
    refused: int  # 503 answers (each retried)
    refused_for_s: float  # from the first 503's request to the last one's answer
    longest_gap_s: float  # the longest time in which no request got a 202

    def __str__(self) -> str:
        return (
            f"{self.answers} answers {self.statuses}; {self.refused} x 503 over "
            f"{self.refused_for_s:.1f} s; longest gap without a 202 {self.longest_gap_s:.1f} s"
        )


def client_figures(answers: Sequence[Answer]) -> ClientFigures:
    statuses = Counter(str(a.status) for a in answers)
    refused = [a for a in answers if a.status == 503]
    window = max((a.ended for a in refused), default=0.0) - min(
        (a.started for a in refused), default=0.0
    )
    accepted_at = sorted(a.ended for a in answers if a.status == 202)
    return ClientFigures(
        len(answers), dict(statuses), len(refused), window, longest_gap(accepted_at)
    )


def longest_gap(moments: Iterable[float]) -> float:
    ordered = sorted(moments)
    return max((b - a for a, b in itertools.pairwise(ordered)), default=0.0)


def pipeline_stall_s(final: dict[str, dict[str, Any]]) -> float:
    """The longest time in which no order reached its terminal status (from the orders'
    histories): how long the pipeline stood still."""
    ends = [
        datetime.fromisoformat(entry["at"]).timestamp()
        for order in final.values()
        for entry in order["history"]
        if OrderStatus(entry["status"]) in TERMINAL
    ]
    return longest_gap(ends)


def refused_for(answers: Sequence[Answer], since: float, until: float = float("inf")) -> float:
    """How long after `since` the front door went on refusing: from `since` to the answer of
    the last 503 given after it to a request made before `until` (0: none)."""
    ends = [a.ended for a in answers if a.status == 503 and a.ended >= since and a.started < until]
    return max(ends, default=since) - since


def refused_before(answers: Sequence[Answer], moment: float) -> list[Answer]:
    """The 503s answered before `moment`: refusals the fault cannot explain."""
    return [a for a in answers if a.status == 503 and a.ended < moment]
