"""How long a worker's fetches may wait at the broker: short while records flow, long when idle.

aiokafka builds every fetch request with one `fetch_min_bytes` / `fetch_max_wait_ms` pair. A
short wait (`WORKER_FETCH_MAX_WAIT_MS`, 5 ms) with a few KiB asked for gathers several records
per fetch under load, but an idle worker then sends a fetch every 5-7 ms: measured with strace,
about 150 fetch round trips a second per worker, each costing about 1 ms of Python CPU to build
and decode (the consumer's thread, aiokafka's pure-Python protocol code), so an idle worker
used 0.16 of a core and the broker 0.3 of a core answering them.

`FetchMode` switches per response. While the worker is busy, fetches keep the short batching
wait. When a fetch comes back empty while nothing fetched is still waiting to be taken and no
partition is paused, the worker is idle, and the next fetch is a long poll (`min_bytes` 1,
held up to `WORKER_FETCH_IDLE_WAIT_MS`). The broker answers a long poll the moment any record
arrives, so the first record after a quiet spell is not delayed at all, and an idle worker
sends about two fetches a second.

Why the two conditions: aiokafka sends one fetch at a time to a broker, and a partition whose
fetched records are not yet taken, or that is paused (Faust's flow control, table recovery),
is left out of it. When such a partition becomes fetchable again it waits for the fetch in
flight to come back; behind a long poll on quiet partitions that would be up to the whole
idle wait. So a long poll is only sent when no partition can become fetchable that way.

With several brokers the setting is shared: a response from any of them decides the next
request to each. At worst a quiet broker is asked with the batching wait (as before this
module) or a busy one with a long poll (answered at its first record); neither delays a record.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FetchWait:
    min_bytes: int
    max_wait_ms: int


@dataclass(frozen=True)
class FetchMode:
    """The two ways a fetch may wait, and which one follows a response."""

    batching: FetchWait  # while the worker is busy: gather some records, briefly
    idle: FetchWait  # when it is idle: any record ends the wait

    @classmethod
    def from_settings(cls, min_bytes: int, max_wait_ms: int, idle_wait_ms: int) -> "FetchMode":
        return cls(FetchWait(min_bytes, max_wait_ms), FetchWait(1, max(idle_wait_ms, max_wait_ms)))

    def after(self, *, brought: bool, buffered: bool, paused: bool) -> FetchWait:
        """The wait of the next fetch, after one that `brought` something (records, or an error
        for the consumer), with fetched records still `buffered` or some partition `paused`."""
        return self.idle if not (brought or buffered or paused) else self.batching


ProcFetch = Callable[[Any, Any, Any], Awaitable[bool]]


def install(fetcher: Any, mode: FetchMode) -> None:
    """Make aiokafka's `fetcher` choose each fetch's wait from the previous response.

    aiokafka reads `_fetch_min_bytes` / `_fetch_max_wait_ms` each time it builds a request;
    `_proc_fetch_request` returns whether a response gave the consumer something new, and the
    fetcher's routine looks the method up on the instance each time. `_records` holds fetched
    records not yet taken, by partition; the assignment knows which partitions are paused.
    """
    original: ProcFetch = fetcher._proc_fetch_request
    _apply(fetcher, mode.batching)

    async def proc_fetch_request(assignment: Any, node_id: Any, request: Any) -> bool:
        brought = await original(assignment, node_id, request)
        wait = mode.after(
            brought=brought,
            buffered=bool(fetcher._records),
            paused=any_paused(assignment),
        )
        _apply(fetcher, wait)
        return brought

    fetcher._proc_fetch_request = proc_fetch_request


def any_paused(assignment: Any) -> bool:
    return any(assignment.state_value(tp).paused for tp in assignment.tps)


def _apply(fetcher: Any, wait: FetchWait) -> None:
    fetcher._fetch_min_bytes = wait.min_bytes
    fetcher._fetch_max_wait_ms = wait.max_wait_ms
