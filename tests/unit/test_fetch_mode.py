"""The worker's fetches wait briefly while it is busy and long-poll when it is idle."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from stream_processors import fetch_mode
from stream_processors.fetch_mode import FetchMode, FetchWait

MODE = FetchMode.from_settings(4096, 5, 500)
BATCHING, IDLE = (4096, 5), (1, 500)


@dataclass
class PartitionState:
    paused: bool = False


@dataclass
class Assignment:
    """aiokafka's Assignment as far as fetch_mode reads it."""

    states: dict[str, PartitionState] = field(default_factory=dict)

    @property
    def tps(self) -> set[str]:
        return set(self.states)

    def state_value(self, tp: str) -> PartitionState:
        return self.states[tp]


class FakeFetcher:
    """aiokafka's Fetcher as far as fetch_mode uses it: the two request settings (read when a
    request is built), the records fetched and not yet taken, and the method that handles one
    response."""

    def __init__(self) -> None:
        self._fetch_min_bytes = 1
        self._fetch_max_wait_ms = 1500
        self._records: dict[str, Any] = {}
        self.requests: list[tuple[int, int]] = []

    async def _proc_fetch_request(self, assignment: Any, node_id: Any, request: Any) -> bool:
        brought: bool = request
        return brought

    async def fetch(self, assignment: Assignment, *, brings: bool) -> bool:
        # what aiokafka's routine does: build a request from the settings, then handle it
        self.requests.append((self._fetch_min_bytes, self._fetch_max_wait_ms))
        brought: bool = await self._proc_fetch_request(assignment, 0, brings)
        return brought


def test_from_settings_long_polls_for_one_byte_when_idle() -> None:
    assert MODE.batching == FetchWait(4096, 5)
    assert MODE.idle == FetchWait(1, 500)


def test_idle_wait_is_never_shorter_than_the_batching_wait() -> None:
    assert FetchMode.from_settings(4096, 50, 10).idle == FetchWait(1, 50)


@pytest.mark.parametrize(
    ("brought", "buffered", "paused", "wait"),
    [
        (False, False, False, MODE.idle),  # nothing came, nothing waits: idle
        (True, False, False, MODE.batching),  # records flow
        (False, True, False, MODE.batching),  # taken soon: its partition must be fetched soon
        (False, False, True, MODE.batching),  # resumed soon: likewise
    ],
)
def test_only_an_empty_fetch_with_nothing_waiting_makes_the_next_a_long_poll(
    brought: bool, buffered: bool, paused: bool, wait: FetchWait
) -> None:
    assert MODE.after(brought=brought, buffered=buffered, paused=paused) == wait


def test_each_fetch_waits_as_the_previous_response_and_the_fetcher_say() -> None:
    fetcher = FakeFetcher()
    fetch_mode.install(fetcher, MODE)
    assignment = Assignment({"orders-0": PartitionState(), "orders-1": PartitionState()})

    async def run() -> list[bool]:
        results = [
            await fetcher.fetch(assignment, brings=False),  # idle
            await fetcher.fetch(assignment, brings=True),  # records
            await fetcher.fetch(assignment, brings=False),  # quiet again
        ]
        fetcher._records["orders-0"] = object()  # fetched, not yet taken
        results.append(await fetcher.fetch(assignment, brings=False))
        fetcher._records.clear()
        assignment.states["orders-1"].paused = True  # flow control
        results.append(await fetcher.fetch(assignment, brings=False))
        assignment.states["orders-1"].paused = False
        results.append(await fetcher.fetch(assignment, brings=False))
        results.append(await fetcher.fetch(assignment, brings=False))
        return results

    results = asyncio.run(run())

    assert results == [False, True, False, False, False, False, False]  # passed through
    assert fetcher.requests == [BATCHING, IDLE, BATCHING, IDLE, BATCHING, BATCHING, IDLE]
