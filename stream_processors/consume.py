"""How an agent takes records: one read per record, work in per-key lanes, ack when done.

The agent's loop only takes records from the stream, in log order. For each it calls the
handler's `arrive` at once (decode; anything that must see records as soon as they are read),
then queues the handler's `work` in the lane of the record's key (stream_processors/lanes.py):
one key's records are worked on one after another, different keys at the same time. A record
is acknowledged when its work is done (its effects sent and stored), never before, so the
worker's commit (stream_processors/consumer.py) never passes a record whose work is not done.
At most `max_in_flight` records are taken and not yet done; then the loop waits, and Faust's
flow control pauses fetching.

A record fetched before a rebalance (an older consumer generation), or one met while a
rebalance suspends the flow, is released without work: it is read again from the committed
offset by whoever owns its partition next, as Faust's own streams do.
"""

import asyncio
import logging
from typing import Any, Protocol

from stream_processors.lanes import Lanes
from stream_processors.metrics import IN_FLIGHT

log = logging.getLogger(__name__)


class RecordHandler(Protocol):
    async def arrive(self, message: Any) -> Any:
        """Called in log order as each record is read; returns what `work` is given."""
        ...

    async def work(self, message: Any, arrived: Any) -> None:
        """The record's work, in its key's lane. Must apply the failure policy itself."""
        ...


def is_stale(app: Any, message: Any) -> bool:
    """Fetched in an earlier generation of the group, or read while a rebalance suspends the
    flow: its partition may be someone else's by now."""
    generation = message.generation_id
    if generation is not None and generation != app.consumer_generation_id:
        return True
    return not app.flow_control.is_active()


class Consumption:
    """One agent's records in flight: its lanes, its in-flight limit, its failure."""

    def __init__(self, stream: Any, handler: RecordHandler, max_in_flight: int) -> None:
        self.stream = stream
        self.handler = handler
        self.lanes = Lanes()
        self.room = asyncio.Semaphore(max_in_flight)
        self.failure: BaseException | None = None
        self.gauge = IN_FLIGHT.labels(getattr(stream.channel, "topics", ("?",))[0])

    async def take(self, event: Any) -> None:
        if self.failure is not None:
            raise self.failure  # a bug in the work outside any stage: crash the agent
        await self.room.acquire()
        self.gauge.inc()
        message = event.message
        if is_stale(self.stream.app, message):
            await self._done(event)
            return
        try:
            arrived = await self.handler.arrive(message)
        except BaseException:
            self._release()
            raise
        self.lanes.submit(message.key, lambda: self._run(event, arrived))

    async def _run(self, event: Any, arrived: Any) -> None:
        try:
            if not is_stale(self.stream.app, event.message):
                await self.handler.work(event.message, arrived)
        except asyncio.CancelledError:
            self._release()  # not acknowledged: the record is read again
            raise
        except Exception as exc:
            log.exception("work on %s failed outside the failure policy", event.message)
            self.failure = exc
            self._release()
            return
        await self._done(event)

    async def _done(self, event: Any) -> None:
        try:
            await self.stream.ack(event)
        finally:
            self._release()

    def _release(self) -> None:
        self.gauge.dec()
        self.room.release()


async def consume(stream: Any, handler: RecordHandler, *, max_in_flight: int) -> None:
    """The body of an agent: take every record of `stream`, work on it, ack it when done."""
    stream.enable_acks = False  # acknowledged by Consumption once each record's work is done
    consumption = Consumption(stream, handler, max_in_flight)
    try:
        async for event in stream.events():
            await consumption.take(event)
    finally:
        await consumption.lanes.cancel_all()
