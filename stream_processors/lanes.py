"""Lanes: work for one key runs one piece after another, work for different keys at once.

The worker keys its lanes by the record's Kafka key (the order id on the order log, the SKU on
the stock topic), so each order's events are handled in log order while a slow order (a
payment gateway taking its time) does not hold up the orders behind it in the partition.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable


class Lanes:
    """Runs each submitted coroutine after the one submitted before it for the same key."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """How many pieces of work are queued or running."""
        return len(self._tasks)

    def submit(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Start `work` once the key's previous work has ended (however it ended)."""
        previous = self._tails.get(key)
        task = asyncio.create_task(_after(previous, work))
        self._tails[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(key, done))
        return task

    def _forget(self, key: Hashable, done: asyncio.Task[None]) -> None:
        self._tasks.discard(done)
        if self._tails.get(key) is done:
            del self._tails[key]

    async def cancel_all(self) -> None:
        """Cancel every queued or running piece of work and wait until each has ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


async def _after(previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]]) -> None:
    if previous is not None:
        await asyncio.wait([previous])  # its outcome is its own; only its end matters here
    await work()
