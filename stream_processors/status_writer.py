"""The projection's writes, grouped: every status change submitted while one APPLY call is on
its way goes out in the next call, so a busy worker makes one Redis round trip per group of
changes instead of one per change, and an idle one writes each change at once (no timer).

Failure policy, as for every stage (stream_processors/streams.py): a transient failure (Redis
down, the table frozen by `orderflow replay`) retries the whole group with capped backoff,
forever; any other failure writes the group's changes one at a time, each under the
projection stage's own policy (retried, then dead-lettered), so one bad change cannot hold
up the others. A change's future is done only once its write took effect (or its record was
dead-lettered): the record is acknowledged after that, never before.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from orders.status_store import StatusStore
from orders.status_store.model import StatusChange
from stream_processors.deps import StageDeps
from stream_processors.metrics import EVENTS_PROCESSED, STATUS_WRITES, TRANSIENT_RETRIES
from stream_processors.streams import StageLoop, backoff, is_transient

log = logging.getLogger(__name__)
STAGE = "projection"


@dataclass
class _Pending:
    message: Any
    change: StatusChange
    done: asyncio.Future[None]


class StatusWriter:
    def __init__(self, deps: StageDeps) -> None:
        self._deps = deps
        self._store: Callable[[], Awaitable[StatusStore]] = deps.status_store
        self._one_by_one = StageLoop(STAGE, _no_decode, self._apply_one, deps)
        self._queue: list[_Pending] = []
        self._flushing: asyncio.Task[None] | None = None

    def submit(self, message: Any, change: StatusChange) -> asyncio.Future[None]:
        """Queue `change` (caused by `message`); the future is done once it is stored."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(message, change, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return done

    async def close(self) -> None:
        """Stop writing; changes not yet stored stay unacknowledged (their records come again)."""
        if self._flushing is not None:
            self._flushing.cancel()
            await asyncio.wait([self._flushing])
        for pending in self._queue:
            pending.done.cancel()
        self._queue.clear()

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            try:
                await self._write(group)
            except BaseException:  # cancelled (the worker stops): nothing counts as stored
                for pending in group:
                    pending.done.cancel()
                raise
            for pending in group:
                if not pending.done.done():
                    pending.done.set_result(None)

    async def _write(self, group: list[_Pending]) -> None:
        attempt = 0
        while True:
            try:
                store = await self._store()
                await store.apply_all([pending.change for pending in group])
            except Exception as exc:  # the policy decides: retry the group, or one by one
                if not is_transient(exc):
                    log.warning("%s: group write failed (%r), writing one by one", STAGE, exc)
                    break
                attempt += 1
                await self._wait_out(exc, attempt)
            else:
                STATUS_WRITES.observe(len(group))
                EVENTS_PROCESSED.labels(STAGE, "handled").inc(len(group))
                return
        for pending in group:
            await self._one_by_one.handle_decoded(pending.message, pending.change)

    async def _wait_out(self, exc: Exception, attempt: int) -> None:
        delay = backoff(attempt, self._deps.retry_initial_s, self._deps.retry_max_s)
        TRANSIENT_RETRIES.labels(STAGE, type(exc).__name__).inc()
        log.warning("%s: %s, retrying in %.1fs: %s", STAGE, type(exc).__name__, delay, exc)
        await asyncio.sleep(delay)

    async def _apply_one(self, change: StatusChange, offset: int) -> None:
        await (await self._store()).apply(change)


def _no_decode(value: bytes | None) -> StatusChange:  # pragma: no cover - never called
    raise TypeError("the status writer is given decoded changes")
