"""The status table on Redis: one hash and one history list per order.

Keys (``ns`` is the namespace, so several deployments or test runs can share one Redis):

- ``{ns}:order:{order_id}``: hash with status, reason, version, created_at, updated_at,
  total and customer_id (absent fields mean None);
- ``{ns}:order:{order_id}:history``: list of JSON entries ``{"status", "at", "reason"}``;
- ``{ns}:active``: sorted set of the orders not in a terminal status, scored by the time they
  entered their current status (epoch seconds): what the deadline job scans.

Datetimes are ISO-8601 strings, totals are Decimal strings. Every write goes through one Lua
script so the compare-and-set on (version, status) and the history append are atomic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from redis.asyncio import Redis

from orders.domain.status import INITIAL, OrderStatus, predecessors
from orders.redis_support import redis_client, text, unavailable_on_redis_errors
from orders.status_store.model import HistoryEntry, OrderView, StalledOrder, StatusChange

# KEYS[1]: the order hash; KEYS[2]: its history list; KEYS[3]: the active-orders sorted set.
# ARGV[1] new status, ARGV[2] version, ARGV[3] initial status, ARGV[4] history entry (JSON),
# ARGV[5] the order id, ARGV[6] the change's time (epoch seconds), ARGV[7] "1" when the new
# status is terminal, then four counted sections (a count followed by that many items):
# allowed predecessors of the new status, field/value pairs set on every write, fields deleted
# on every write, and field/value pairs set only when the record is created.
# The transition table stays in Python: the caller passes the predecessors, so Lua only
# compares. Versions are Kafka offsets, compared as Lua numbers (exact below 2^53).
_APPLY_LUA = """
local function section(i)
  local n = tonumber(ARGV[i])
  local items = {}
  for j = 1, n do items[j] = ARGV[i + j] end
  return items, i + n + 1
end

local status, version, initial, entry = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local order_id, at, terminal = ARGV[5], ARGV[6], ARGV[7]
local allowed, i = section(8)
local updates, removals, creates
updates, i = section(i)
removals, i = section(i)
creates = section(i)

local stored = redis.call('HMGET', KEYS[1], 'status', 'version')
if not stored[1] then
  if status ~= initial then return 0 end
  if #creates > 0 then redis.call('HSET', KEYS[1], unpack(creates)) end
else
  if tonumber(stored[2]) >= tonumber(version) then return 0 end
  local legal = false
  for _, p in ipairs(allowed) do
    if p == stored[1] then legal = true break end
  end
  if not legal then return 0 end
end

redis.call('HSET', KEYS[1], 'status', status, 'version', version, unpack(updates))
if #removals > 0 then redis.call('HDEL', KEYS[1], unpack(removals)) end
redis.call('RPUSH', KEYS[2], entry)
if terminal == '1' then
  redis.call('ZREM', KEYS[3], order_id)
else
  redis.call('ZADD', KEYS[3], at, order_id)
end
return 1
"""


def _counted(items: Sequence[str]) -> list[str]:
    return [str(len(items)), *items]


def _pairs(fields: Mapping[str, str]) -> list[str]:
    return [part for item in fields.items() for part in item]


def _apply_args(change: StatusChange) -> list[str]:
    """The Lua script's ARGV for `change` (layout documented next to the script)."""
    updates = {"updated_at": change.at.isoformat()}
    removals: list[str] = []
    if change.reason is None:
        removals.append("reason")  # the reason belongs to the latest change only
    else:
        updates["reason"] = change.reason
    creates = {"created_at": change.at.isoformat()}
    if change.total is not None:
        creates["total"] = str(change.total)
    if change.customer_id is not None:
        creates["customer_id"] = change.customer_id
    entry = {"status": change.status.value, "at": change.at.isoformat(), "reason": change.reason}
    return [
        change.status.value,
        str(change.version),
        INITIAL.value,
        json.dumps(entry),
        change.order_id,
        repr(change.at.timestamp()),
        "1" if change.status.is_terminal else "0",
        *_counted(sorted(s.value for s in predecessors(change.status))),
        *_counted(_pairs(updates)),
        *_counted(removals),
        *_counted(_pairs(creates)),
    ]


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def _view(order_id: str, fields: Mapping[str, str], history: Sequence[str]) -> OrderView:
    total = fields.get("total")
    return OrderView(
        order_id=order_id,
        status=OrderStatus(fields["status"]),
        reason=fields.get("reason"),
        version=int(fields["version"]),
        created_at=datetime.fromisoformat(fields["created_at"]),
        updated_at=datetime.fromisoformat(fields["updated_at"]),
        total=Decimal(total) if total is not None else None,
        customer_id=fields.get("customer_id"),
        history=tuple(HistoryEntry.model_validate_json(entry) for entry in history),
    )


class RedisStatusStore:
    """StatusStore on redis.asyncio. The store owns `client`: close() closes it."""

    def __init__(self, client: Redis, namespace: str) -> None:
        self._redis = client
        self._namespace = namespace
        self._apply_script = client.register_script(_APPLY_LUA)

    @classmethod
    def from_url(cls, url: str, namespace: str, *, timeout_s: float = 2.0) -> RedisStatusStore:
        """A store on a new client for `url`; connects lazily, on the first command.

        Every command gives up after about `timeout_s` (plus one quick retry): callers answer
        503 or retry later rather than hang on a Redis that does not answer.
        """
        client = redis_client(url, timeout_s=timeout_s)
        return cls(client, namespace)

    def order_key(self, order_id: str) -> str:
        return f"{self._namespace}:order:{order_id}"

    def history_key(self, order_id: str) -> str:
        return f"{self.order_key(order_id)}:history"

    @property
    def active_key(self) -> str:
        return f"{self._namespace}:active"

    async def apply(self, change: StatusChange) -> bool:
        order_id = change.order_id
        keys = [self.order_key(order_id), self.history_key(order_id), self.active_key]
        with unavailable_on_redis_errors("apply"):
            written = await self._apply_script(keys=keys, args=_apply_args(change))
        return int(written) == 1

    async def get(self, order_id: str) -> OrderView | None:
        # One MULTI/EXEC so the hash and the history come from the same moment.
        with unavailable_on_redis_errors("get"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(self.order_key(order_id))
                pipe.lrange(self.history_key(order_id), 0, -1)
                raw_fields, raw_history = await pipe.execute()
        if not raw_fields:
            return None
        fields = {text(k): text(v) for k, v in raw_fields.items()}
        return _view(order_id, fields, [text(entry) for entry in raw_history])

    async def stalled(self, older_than: datetime, limit: int = 100) -> list[StalledOrder]:
        before = f"({older_than.timestamp()!r}"  # "(": strictly older
        with unavailable_on_redis_errors("stalled"):
            found = cast(
                list[tuple[bytes | str, float]],
                await self._redis.zrangebyscore(
                    self.active_key, "-inf", before, start=0, num=limit, withscores=True
                ),
            )
            ids = [text(order_id) for order_id, _ in found]
            scores = [float(score) for _, score in found]
            async with self._redis.pipeline(transaction=False) as pipe:
                for order_id in ids:
                    pipe.hget(self.order_key(order_id), "status")
                statuses: list[bytes | str | None] = await pipe.execute()
        return [
            StalledOrder(order_id=order_id, status=OrderStatus(text(status)), since=_utc(score))
            for order_id, score, status in zip(ids, scores, statuses, strict=True)
            if status is not None
        ]

    async def ping(self) -> None:
        with unavailable_on_redis_errors("ping"):
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
