"""Lanes: work for one key runs one piece after another, work for different keys at once.

The worker keys its lanes by the record's Kafka key (the order id on the order log, the SKU on
the stock topic), so each order's events are handled in log order while a slow order (a
payment gateway taking its time) does not hold up the orders behind it in the partition.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable

Release = Callable[[], None]


class Lanes:
    """Runs each submitted coroutine after the one submitted before it for the same key (or,
    with `submit_releasing`, once that one released the lane)."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}  # the key's last "released"
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """How many pieces of work are queued or running."""
        return len(self._tasks)

    def submit(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Start `work` once the key's previous work has ended (however it ended)."""
        return self.submit_releasing(key, lambda _release: work())

    def submit_releasing(
        self, key: Hashable, work: Callable[[Release], Awaitable[None]]
    ) -> asyncio.Task[None]:
        """Start `work(release)` once the key's previous work has called its `release()` or
        ended (however it ended). Work that only waits after some point (for the broker to
        acknowledge what it sent) releases there, so the key's next piece need not wait."""
        previous = self._tails.get(key)
        released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def release() -> None:
            if not released.done():
                released.set_result(None)

        task = asyncio.create_task(_after(previous, work, release))
        self._tails[key] = released
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._ended(key, done, released, release))
        return task

    def _ended(
        self,
        key: Hashable,
        done: asyncio.Task[None],
        released: asyncio.Future[None],
        release: Release,
    ) -> None:
        release()
        self._tasks.discard(done)
        if self._tails.get(key) is released:
            del self._tails[key]

    async def cancel_all(self) -> None:
        """Cancel every queued or running piece of work and wait until each has ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


async def _after(
    previous: asyncio.Future[None] | None,
    work: Callable[[Release], Awaitable[None]],
    release: Release,
) -> None:
    if previous is not None:
        await asyncio.wait([previous])  # (a cancelled waiter must not cancel the shared future)
    await work(release)
