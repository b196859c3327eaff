"""How long a worker's fetches may wait at the broker: short while records flow, long when idle.

aiokafka builds every fetch request with one `fetch_min_bytes` / `fetch_max_wait_ms` pair. A
short wait (`WORKER_FETCH_MAX_WAIT_MS`, 5 ms) with a few KiB asked for gathers several records
per fetch under load, but an idle worker then sends a fetch every 5-7 ms: measured with strace,
about 150 fetch round trips a second per worker, each costing about 1 ms of Python CPU to build
and decode (the consumer's thread, aiokafka's pure-Python protocol code), so an idle worker
used 0.16 of a core and the broker 0.3 of a core answering them.

`FetchMode` switches per response: a fetch that brought records keeps the short batching wait
(more are probably on their way); a fetch that came back empty makes the next one a long poll
(`min_bytes` 1, held up to `WORKER_FETCH_IDLE_WAIT_MS`). The broker answers a long poll the
moment any record arrives, so the first record after a quiet spell is not delayed at all, and
an idle worker sends about two fetches a second.

With several brokers the setting is shared: a response from any of them decides the next
request to each. At worst a quiet broker is asked with the batching wait (as before this
module) or a busy one with a long poll (answered at its first record); neither delays a record.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchWait:
    min_bytes: int
    max_wait_ms: int


@dataclass(frozen=True)
class FetchMode:
    """The two ways a fetch may wait, and which one follows a response."""

    batching: FetchWait  # while records flow: gather some, briefly
    idle: FetchWait  # after an empty fetch: any record ends the wait

    @classmethod
    def from_settings(cls, min_bytes: int, max_wait_ms: int, idle_wait_ms: int) -> "FetchMode":
        return cls(FetchWait(min_bytes, max_wait_ms), FetchWait(1, max(idle_wait_ms, max_wait_ms)))

    def after(self, brought_records: bool) -> FetchWait:
        return self.batching if brought_records else self.idle


ProcFetch = Callable[[Any, Any, Any], Awaitable[bool]]


def install(fetcher: Any, mode: FetchMode) -> None:
    """Make aiokafka's `fetcher` choose each fetch's wait from the previous response.

    aiokafka reads `_fetch_min_bytes` / `_fetch_max_wait_ms` each time it builds a request, and
    `_proc_fetch_request` returns whether a response gave the consumer something new (records,
    or an error to raise); the fetcher's routine looks the method up on the instance each time.
    """
    original: ProcFetch = fetcher._proc_fetch_request
    _apply(fetcher, mode.batching)

    async def proc_fetch_request(assignment: Any, node_id: Any, request: Any) -> bool:
        brought = await original(assignment, node_id, request)
        _apply(fetcher, mode.after(brought))
        return brought

    fetcher._proc_fetch_request = proc_fetch_request


def _apply(fetcher: Any, wait: FetchWait) -> None:
    fetcher._fetch_min_bytes = wait.min_bytes
    fetcher._fetch_max_wait_ms = wait.max_wait_ms
