"""The change feed's registry in one status API process: who waits for which order.

One subscriber task (status_api/subscriber.py) reads the Redis channel and calls `publish`;
requests only wait on asyncio primitives here, so a thousand waiting clients cost no Redis
command until their order changes. A wake-up says "read the order again", nothing more: the
status table stays the one source of what an order looks like.

The subscriber subscribes only while somebody listens (a waiter or a stream is registered):
with plain polling clients, a process would otherwise read and decode every status change of
the system for nobody. `wanted()` tells it when to subscribe, `quiet_for()` when to let go.
"""

import asyncio
import time
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
        self.started = False  # reading the change log: from here, a missed change loses it

    def start(self) -> None:
        self.started = True

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
        self.followed = False  # a subscriber task feeds it (see status_api/subscriber.py)
        self._connected = asyncio.Event()  # the subscriber is subscribed
        self._wanted = asyncio.Event()  # a waiter or a stream is registered
        self._quiet_since = time.monotonic()  # when the last one left

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @connected.setter
    def connected(self, value: bool) -> None:
        if value:
            self._connected.set()
        else:
            self._connected.clear()

    async def subscribed(self, within: float) -> None:
        """Until the subscriber is subscribed (at most `within` seconds; at once when no
        subscriber feeds this feed)."""
        if not self.followed or self.connected or self.closing:
            return
        try:
            async with asyncio.timeout(within):
                await self._connected.wait()
        except TimeoutError:
            pass  # Redis is away: the stream goes on, and is cut off at the next resync

    @property
    def listened(self) -> bool:
        """Somebody waits for a change or streams them now."""
        return self._wanted.is_set()

    async def wanted(self) -> None:
        """Until somebody listens."""
        await self._wanted.wait()

    def quiet_for(self) -> float:
        """Seconds since the last listener left (0 while somebody listens)."""
        return 0.0 if self.listened else time.monotonic() - self._quiet_since

    def _listeners_changed(self) -> None:
        if self._waiters or self._streams:
            self._wanted.set()
        elif self._wanted.is_set():
            self._wanted.clear()
            self._quiet_since = time.monotonic()

    @contextmanager
    def watch(self, order_id: str) -> Iterator[Waiter]:
        """A waiter for `order_id`'s changes. Register before reading the order, so a change
        between the read and the wait still wakes it."""
        waiter = Waiter()
        self._waiters.setdefault(order_id, set()).add(waiter)
        self._listeners_changed()
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
            self._listeners_changed()

    @contextmanager
    def stream(self) -> Iterator[ChangeStream]:
        stream = ChangeStream()
        self._streams.add(stream)
        self._listeners_changed()
        if self.closing:
            stream.lose()
        try:
            yield stream
        finally:
            self._streams.discard(stream)
            self._listeners_changed()

    def publish(self, message: FeedMessage) -> None:
        for waiter in self._waiters.get(message.order_id, ()):
            waiter.wake()
        for stream in self._streams:
            stream.push(message)

    def resync(self) -> None:
        """Changes may have gone unseen (the subscriber was not subscribed): every waiter
        reads its order again, and every stream that started reading starts over (one that
        has not started yet reads the change log after this, and misses nothing)."""
        self._wake_all()
        for stream in self._streams:
            if stream.started:
                stream.lose()

    def close(self) -> None:
        """Shutting down: end every wait and stream now (else they would hold the shutdown)."""
        self.closing = True
        self._wake_all()
        for stream in self._streams:
            stream.lose()

    def _wake_all(self) -> None:
        for waiting in self._waiters.values():
            for waiter in waiting:
                waiter.wake()

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
