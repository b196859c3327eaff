"""The worker's fetches wait briefly while records flow and long-poll after an empty fetch."""

import asyncio
from typing import Any

from stream_processors import fetch_mode
from stream_processors.fetch_mode import FetchMode, FetchWait


class FakeFetcher:
    """aiokafka's Fetcher as far as fetch_mode uses it: the two request settings, read when a
    request is built, and the method that handles one response."""

    def __init__(self, responses: list[bool]) -> None:
        self._fetch_min_bytes = 1
        self._fetch_max_wait_ms = 1500
        self._responses = responses
        self.requests: list[tuple[int, int]] = []

    async def _proc_fetch_request(self, assignment: Any, node_id: Any, request: Any) -> bool:
        return self._responses.pop(0)

    async def fetch(self) -> bool:
        # what aiokafka's routine does: build a request from the settings, then handle it
        self.requests.append((self._fetch_min_bytes, self._fetch_max_wait_ms))
        brought: bool = await self._proc_fetch_request(None, 0, None)
        return brought


def test_from_settings_long_polls_for_one_byte_when_idle() -> None:
    mode = FetchMode.from_settings(4096, 5, 500)
    assert mode.batching == FetchWait(4096, 5)
    assert mode.idle == FetchWait(1, 500)
    assert mode.after(True) == mode.batching
    assert mode.after(False) == mode.idle


def test_idle_wait_is_never_shorter_than_the_batching_wait() -> None:
    assert FetchMode.from_settings(4096, 50, 10).idle == FetchWait(1, 50)


def test_each_fetch_waits_as_the_previous_response_says() -> None:
    fetcher = FakeFetcher([False, False, True, True, False, True])
    fetch_mode.install(fetcher, FetchMode.from_settings(4096, 5, 500))

    async def run() -> list[bool]:
        return [await fetcher.fetch() for _ in range(6)]

    results = asyncio.run(run())

    assert results == [False, False, True, True, False, True]  # responses pass through
    batching, idle = (4096, 5), (1, 500)
    assert fetcher.requests == [batching, idle, idle, batching, batching, idle]
    assert (fetcher._fetch_min_bytes, fetcher._fetch_max_wait_ms) == batching
