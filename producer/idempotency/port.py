"""The idempotency key store the front door depends on, and what a claim on a key can yield.

A key's record lives for a TTL and is in one of two states:

- *pending*: a request claimed the key and holds a lease while it publishes the event stored
  with the record (built before the claim, so its order id and event id are fixed);
- *done*: the event was acknowledged; the record keeps the response to replay.

A lease that runs out (its holder crashed, or gave up after a failed publish) may be taken over
by the next request with the same key and body, which publishes the *same* stored event again.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredResponse:
    """The answer given for a key, replayed to every later request with it."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"status": self.status, "body": self.body, "headers": self.headers})

    @classmethod
    def from_json(cls, raw: str) -> "StoredResponse":
        data = json.loads(raw)
        return cls(status=int(data["status"]), body=data["body"], headers=data["headers"])


@dataclass(frozen=True)
class Claimed:
    """The caller holds the key's lease and must publish `event`, then complete or release."""

    event: bytes  # the encoded event stored with the key (new, or an earlier attempt's)
    lease: str  # proves the lease is ours when releasing it
    retaken: bool  # an earlier attempt's lease had run out: its event is published again


@dataclass(frozen=True)
class Done:
    """The key's event was acknowledged before; answer with the stored response."""

    response: StoredResponse


@dataclass(frozen=True)
class Busy:
    """Another request holds the key's lease; it runs out in `retry_in_s` at the latest."""

    retry_in_s: float


@dataclass(frozen=True)
class Mismatch:
    """The key was used before with a different request body."""


Claim = Claimed | Done | Busy | Mismatch


class IdempotencyStore(Protocol):
    """Remembers Idempotency-Keys. Raises StoreUnavailable when the store cannot be reached."""

    async def claim(self, key: str, fingerprint: str, event: bytes) -> Claim:
        """Atomically: create a pending record holding `event` (-> Claimed), or report the
        existing record (Done, Busy, Mismatch), or take over its run-out lease (-> Claimed
        with the stored event)."""
        ...

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        """Mark the key done with `response`; the record keeps its TTL."""
        ...

    async def release(self, key: str, lease: str) -> None:
        """Let the lease run out now (after a failed publish) if it still is ours, so the
        next request with the key takes over at once."""
        ...
