"""In-memory idempotency store: the fake for unit tests, held to the same contract as Redis."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from producer.idempotency.port import Busy, Claim, Claimed, Done, Mismatch, StoredResponse


@dataclass
class _Record:
    fingerprint: str
    expires_at: float
    event: bytes
    lease: str
    lease_until: float
    response: StoredResponse | None = None


class InMemoryIdempotencyStore:
    """Keeps records in a dict; `clock` (seconds) lets tests move time forward."""

    def __init__(
        self, *, ttl_s: float, lease_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.lease_s = lease_s
        self.clock = clock
        self._records: dict[str, _Record] = {}

    async def claim(self, key: str, fingerprint: str, event: bytes) -> Claim:
        now = self.clock()
        record = self._live(key, now)
        lease = uuid.uuid4().hex
        if record is None:
            self._records[key] = _Record(
                fingerprint, now + self.ttl_s, event, lease, now + self.lease_s
            )
            return Claimed(event, lease, retaken=False)
        if record.fingerprint != fingerprint:
            return Mismatch()
        if record.response is not None:
            return Done(record.response)
        if record.lease_until > now:
            return Busy(record.lease_until - now)
        record.lease, record.lease_until = lease, now + self.lease_s
        return Claimed(record.event, lease, retaken=True)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        record = self._live(key, self.clock())
        if record is not None and record.fingerprint == fingerprint and record.response is None:
            record.response = response

    async def release(self, key: str, lease: str) -> None:
        record = self._live(key, self.clock())
        if record is not None and record.response is None and record.lease == lease:
            record.lease_until = float("-inf")

    def _live(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None and record.expires_at <= now:
            del self._records[key]
            return None
        return record
