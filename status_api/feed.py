"""The change feed's registry in one status API process: who waits for which order.

One subscriber task (status_api/subscriber.py) reads the Redis channel and calls `publish`;
requests only wait on asyncio primitives here, so a thousand waiting clients cost no Redis
command until their order changes. A wake-up says "read the order again", nothing more: the
status table stays the one source of what an order looks like.
"""

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from orders.status_store.change_feed import FeedMessage

STREAM_BACKLOG = 1000  # changes an all-orders stream may fall behind before it is cut off


class Waiter:
    """Woken when its order changes, or when changes may have been missed (a reconnect)."""

    def __init__(self) -> None:
        self._woken = asyncio.Event()
        self.waiting = False  # inside wait(): its request has read the order and costs nothing

    def wake(self) -> None:
        self._woken.set()

    async def wait(self, seconds: float) -> bool:
        """True when woken within `seconds` (and ready to be woken again)."""
        self.waiting = True
        try:
            async with asyncio.timeout(max(seconds, 0)):
                await self._woken.wait()
        except TimeoutError:
            return False
        finally:
            self.waiting = False
        self._woken.clear()
        return True


class ChangeStream:
    """Every change, for an all-orders event stream. A stream that falls `STREAM_BACKLOG`
    changes behind, or that may have missed some (a reconnect), is `lost`: its client must
    start over (read the list again), since the feed keeps nothing."""

    def __init__(self, backlog: int = STREAM_BACKLOG) -> None:
        self._backlog = backlog
        self._items: deque[FeedMessage] = deque()
        self._ready = asyncio.Event()
        self.lost = False

    def push(self, message: FeedMessage) -> None:
        if len(self._items) >= self._backlog:
            self.lose()
            return
        self._items.append(message)
        self._ready.set()

    def lose(self) -> None:
        self.lost = True
        self._items.clear()
        self._ready.set()

    async def next(self, seconds: float) -> list[FeedMessage]:
        """The changes since the last call ([] when none came within `seconds`)."""
        try:
            async with asyncio.timeout(max(seconds, 0)):
                await self._ready.wait()
        except TimeoutError:
            return []
        self._ready.clear()
        batch = list(self._items)
        self._items.clear()
        return batch


class ChangeFeed:
    def __init__(self) -> None:
        self._waiters: dict[str, set[Waiter]] = {}
        self._streams: set[ChangeStream] = set()
        self.closing = False  # the process is shutting down: waits end now
        self.connected = False  # the subscriber is subscribed (see status_api/subscriber.py)

    @contextmanager
    def watch(self, order_id: str) -> Iterator[Waiter]:
        """A waiter for `order_id`'s changes. Register before reading the order, so a change
        between the read and the wait still wakes it."""
        waiter = Waiter()
        self._waiters.setdefault(order_id, set()).add(waiter)
        if self.closing:
            waiter.wake()
        try:
            yield waiter
        finally:
            waiting = self._waiters.get(order_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self._waiters[order_id]

    @contextmanager
    def stream(self) -> Iterator[ChangeStream]:
        stream = ChangeStream()
        self._streams.add(stream)
        if self.closing:
            stream.lose()
        try:
            yield stream
        finally:
            self._streams.discard(stream)

    def publish(self, message: FeedMessage) -> None:
        for waiter in self._waiters.get(message.order_id, ()):
            waiter.wake()
        for stream in self._streams:
            stream.push(message)

    def resync(self) -> None:
        """Changes may have gone unseen (the subscriber was disconnected): every waiter reads
        its order again, and every stream starts over."""
        for waiting in self._waiters.values():
            for waiter in waiting:
                waiter.wake()
        for stream in self._streams:
            stream.lose()

    def close(self) -> None:
        """Shutting down: end every wait and stream now (else they would hold the shutdown)."""
        self.closing = True
        self.resync()

    @property
    def streaming(self) -> int:
        """How many all-orders streams are open now."""
        return len(self._streams)

    @property
    def watching(self) -> int:
        """How many requests watch an order now (waiting, or reading it before they wait)."""
        return sum(len(waiters) for waiters in self._waiters.values())

    @property
    def waiting(self) -> int:
        """How many requests wait for a change of their order now, having read it (`/stats`
        `change_feed.waiting`): while they wait they cost no Redis command."""
        return sum(w.waiting for waiters in self._waiters.values() for w in waiters)
