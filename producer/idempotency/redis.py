"""Idempotency keys on Redis: one hash per key, ``{ns}:idem:{sha256 of the key}``.

Fields: ``fingerprint``, ``state`` (``pending`` or ``done``), and while pending ``event``,
``lease`` and ``lease_until`` (ms, Redis server time), once done ``response`` (JSON). The hash
expires after the TTL set when it was created. Every step is one Lua script, so claims are
atomic, and leases are measured on one clock (the Redis server's) for every front door.
"""

import uuid

from redis.asyncio import Redis

from orders.redis_support import text, unavailable_on_redis_errors
from producer.idempotency.keys import key_digest
from producer.idempotency.port import Busy, Claim, Claimed, Done, Mismatch, StoredResponse

# KEYS[1] the record; ARGV: fingerprint, event, lease token, lease ms, TTL ms.
# Answers {'claimed', event}, {'retaken', stored event}, {'done', response}, {'busy', ms left}
# or {'mismatch'}.
_CLAIM_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = string.format('%d', now + tonumber(ARGV[4]))
local rec = redis.call('HMGET', KEYS[1], 'fingerprint', 'state', 'lease_until', 'event', 'response')
if not rec[1] then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'state', 'pending', 'event', ARGV[2],
             'lease', ARGV[3], 'lease_until', until_ms)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {'claimed', ARGV[2]}
end
if rec[1] ~= ARGV[1] then return {'mismatch'} end
if rec[2] == 'done' then return {'done', rec[5]} end
local left = tonumber(rec[3]) - now
if left > 0 then return {'busy', string.format('%d', left)} end
redis.call('HSET', KEYS[1], 'lease', ARGV[3], 'lease_until', until_ms)
return {'retaken', rec[4]}
"""

# KEYS[1] the record; ARGV: fingerprint, response. Only a pending record with that body.
_COMPLETE_LUA = """
local rec = redis.call('HMGET', KEYS[1], 'fingerprint', 'state')
if rec[1] ~= ARGV[1] or rec[2] ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[2])
redis.call('HDEL', KEYS[1], 'event', 'lease', 'lease_until')
return 1
"""

# KEYS[1] the record; ARGV: lease token. Only while pending and the lease is still ours.
_RELEASE_LUA = """
local rec = redis.call('HMGET', KEYS[1], 'state', 'lease')
if rec[1] ~= 'pending' or rec[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', '0')
return 1
"""


class RedisIdempotencyStore:
    """IdempotencyStore on a redis.asyncio client that the caller owns (and closes)."""

    def __init__(self, client: Redis, namespace: str, *, ttl_s: float, lease_s: float) -> None:
        self._namespace = namespace
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._lease_ms = max(1, round(lease_s * 1000))
        self._claim = client.register_script(_CLAIM_LUA)
        self._complete = client.register_script(_COMPLETE_LUA)
        self._release = client.register_script(_RELEASE_LUA)

    def record_key(self, key: str) -> str:
        return f"{self._namespace}:idem:{key_digest(key)}"

    async def claim(self, key: str, fingerprint: str, event: bytes) -> Claim:
        lease = uuid.uuid4().hex
        args: list[str | int] = [fingerprint, event.decode(), lease, self._lease_ms, self._ttl_ms]
        with unavailable_on_redis_errors("idempotency claim"):
            answer = await self._claim(keys=[self.record_key(key)], args=args)
        kind, *rest = [text(part) for part in answer]
        if kind in ("claimed", "retaken"):
            return Claimed(rest[0].encode(), lease, retaken=kind == "retaken")
        if kind == "done":
            return Done(StoredResponse.from_json(rest[0]))
        if kind == "busy":
            return Busy(int(rest[0]) / 1000)
        return Mismatch()

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        with unavailable_on_redis_errors("idempotency complete"):
            await self._complete(
                keys=[self.record_key(key)], args=[fingerprint, response.to_json()]
            )

    async def release(self, key: str, lease: str) -> None:
        with unavailable_on_redis_errors("idempotency release"):
            await self._release(keys=[self.record_key(key)], args=[lease])
