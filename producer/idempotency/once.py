"""An order placed once per Idempotency-Key: claim the key, publish its event, then record the
answer (or let the lease go after a failed publish, so a retry takes over at once).

Whoever publishes, publishes the event stored with the key at its first claim, so its order id
and event id never change. A crash after publishing but before recording the answer leaves the
key pending; the next request takes it over once the lease runs out and publishes that same
event again, a duplicate the stages and the status table ignore. No answer is recorded before
the broker acknowledged, so a key never points at an order that is not on the log.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from orders.contracts.codec import decode_order_event, encode
from orders.domain.events import OrderPlaced
from orders.errors import DecodeError, KeyBusy, KeyReused, PublishError, StoreUnavailable
from producer.api import OrderProducer, new_order
from producer.idempotency import keys
from producer.idempotency.keys import HEADER
from producer.idempotency.port import (
    Busy,
    Claimed,
    Done,
    IdempotencyStore,
    Mismatch,
    StoredResponse,
)
from producer.schemas import PlaceOrder

_log = logging.getLogger(__name__)

_FIRST_PAUSE_S = 0.01
_MAX_PAUSE_S = 0.25

Respond = Callable[[OrderPlaced], StoredResponse]


@dataclass(frozen=True)
class Answer:
    response: StoredResponse
    replayed: bool  # the stored answer of an earlier request with the same key


class PlaceOnce:
    """Places orders on `producer`, once per key remembered in `store`. `respond` makes the
    answer for an acknowledged order; a request waits up to `wait_s` for another one that
    holds the same key, then gives up with KeyBusy."""

    def __init__(
        self, producer: OrderProducer, store: IdempotencyStore, respond: Respond, *, wait_s: float
    ) -> None:
        self._producer = producer
        self._store = store
        self._respond = respond
        self._wait_s = wait_s

    async def place(self, key: str, order: PlaceOrder) -> Answer:
        """Raises KeyReused, KeyBusy, PublishError or StoreUnavailable."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        fingerprint = keys.fingerprint(order)
        event = encode(new_order(order))
        pause = _FIRST_PAUSE_S
        while True:
            match await self._store.claim(key, fingerprint, event):
                case Claimed() as claim:
                    return Answer(await self._publish(key, fingerprint, claim), replayed=False)
                case Done(response):
                    return Answer(response, replayed=True)
                case Mismatch():
                    raise KeyReused(f"{HEADER} was already used with a different request body")
                case Busy(retry_in_s):
                    left = deadline - loop.time()
                    if left <= 0:
                        raise KeyBusy(f"a request with this {HEADER} is still being processed")
                    await asyncio.sleep(min(pause, retry_in_s, left))
                    pause = min(2 * pause, _MAX_PAUSE_S)

    async def _publish(self, key: str, fingerprint: str, claim: Claimed) -> StoredResponse:
        placed = _order_placed(claim.event)
        if claim.retaken:
            _log.info(
                "publishing order %s again: an earlier attempt did not finish", placed.order_id
            )
        try:
            # A retaken key's event may be on the log already, at an earlier offset that the
            # order's later events follow: only the projection may record that one PENDING.
            await self._producer.place(placed, first=not claim.retaken)
        except PublishError:
            await self._release(key, claim.lease)
            raise
        response = self._respond(placed)
        try:
            await self._store.complete(key, fingerprint, response)
        except StoreUnavailable as e:
            # The order is on the log, so it is accepted. The key stays pending: a retry takes
            # it over once the lease runs out and publishes the same event again (harmless).
            _log.warning(
                "order %s accepted, but its key was not marked done: %s", placed.order_id, e
            )
        return response

    async def _release(self, key: str, lease: str) -> None:
        try:
            await self._store.release(key, lease)
        except StoreUnavailable as e:  # the lease then simply runs out
            _log.warning("could not release an idempotency lease: %s", e)


def _order_placed(raw: bytes) -> OrderPlaced:
    event = decode_order_event(raw)
    if not isinstance(event, OrderPlaced):
        raise DecodeError(f"an idempotency record holds a {event.type}, not an OrderPlaced")
    return event
