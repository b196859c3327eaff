"""The status table's Lua scripts and how their arguments are laid out.

Every script starts by choosing its table: ARGV[1] names a table prefix, or is '' for the live
table, which is the pointer's value (KEYS[1]) or, without a pointer, the legacy prefix ARGV[2].
Resolving the pointer inside the script makes "which table" and "read/write it" one atomic
step, so a table switch (orderflow replay) is seen by each call entirely or not at all.

The scripts build the table's keys from the pointer's value, so Redis cannot know them
beforehand. That is fine on a single Redis node (what orderflow uses); Redis Cluster would need
every key of a namespace in one hash slot.
"""

import json
from collections.abc import Mapping, Sequence

from orders.domain.status import INITIAL, OrderStatus, predecessors
from orders.status_store.model import StatusChange

# Return codes of APPLY.
WRITTEN, IGNORED, FROZEN = 1, 0, -1

_CHOOSE_TABLE = """
local tbl = ARGV[1]
if tbl == '' then
  tbl = redis.call('GET', KEYS[1]) or ARGV[2]
end
"""

# KEYS[1] the pointer, KEYS[2] the freeze key. ARGV[1], ARGV[2]: the table (above); a write to
# the live table is refused with FROZEN (-1) while the freeze key exists, one to a named table
# (a replay's) never is. Then the change: ARGV[3] new status, ARGV[4] version, ARGV[5] initial
# status, ARGV[6] history entry (JSON), ARGV[7] the order id, ARGV[8] the change's time (epoch
# seconds), ARGV[9] "1" when the new status is terminal, then four counted sections (a count
# followed by that many items): allowed predecessors of the new status, field/value pairs set
# on every write, fields deleted on every write, and field/value pairs set only when the record
# is created. The transition table stays in Python: the caller passes the predecessors, so Lua
# only compares. Versions are Kafka offsets, compared as Lua numbers (exact below 2^53).
APPLY = (
    """
if ARGV[1] == '' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
"""
    + _CHOOSE_TABLE
    + """
local function section(i)
  local n = tonumber(ARGV[i])
  local items = {}
  for j = 1, n do items[j] = ARGV[i + j] end
  return items, i + n + 1
end

local status, version, initial, entry = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local order_id, at, terminal = ARGV[7], ARGV[8], ARGV[9]
local allowed, i = section(10)
local updates, removals, creates
updates, i = section(i)
removals, i = section(i)
creates = section(i)
local order = tbl .. ':order:' .. order_id

local stored = redis.call('HMGET', order, 'status', 'version')
if not stored[1] then
  if status ~= initial then return 0 end
  if #creates > 0 then redis.call('HSET', order, unpack(creates)) end
else
  if tonumber(stored[2]) >= tonumber(version) then return 0 end
  local legal = false
  for _, p in ipairs(allowed) do
    if p == stored[1] then legal = true break end
  end
  if not legal then return 0 end
end

redis.call('HSET', order, 'status', status, 'version', version, unpack(updates))
if #removals > 0 then redis.call('HDEL', order, unpack(removals)) end
redis.call('RPUSH', order .. ':history', entry)
if terminal == '1' then
  redis.call('ZREM', tbl .. ':active', order_id)
else
  redis.call('ZADD', tbl .. ':active', at, order_id)
end
return 1
"""
)

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the order id.
# Returns {hash as a flat field/value list, history list}.
GET = (
    _CHOOSE_TABLE
    + """
local order = tbl .. ':order:' .. ARGV[3]
return {redis.call('HGETALL', order), redis.call('LRANGE', order .. ':history', 0, -1)}
"""
)

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the highest score (ZRANGEBYSCORE
# syntax), ARGV[4] the most orders. Returns {order id, score, status or ''} per order.
STALLED = (
    _CHOOSE_TABLE
    + """
local found = redis.call('ZRANGEBYSCORE', tbl .. ':active', '-inf', ARGV[3],
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for i = 1, #found, 2 do
  local status = redis.call('HGET', tbl .. ':order:' .. found[i], 'status')
  out[#out + 1] = {found[i], found[i + 1], status or ''}
end
return out
"""
)


def _counted(items: Sequence[str]) -> list[str]:
    return [str(len(items)), *items]


def _pairs(fields: Mapping[str, str]) -> list[str]:
    return [part for item in fields.items() for part in item]


def change_args(change: StatusChange) -> list[str]:
    """APPLY's ARGV for `change`, from ARGV[3] on (layout documented next to the script)."""
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
        *_counted(_PREDECESSORS[change.status]),
        *_counted(_pairs(updates)),
        *_counted(removals),
        *_counted(_pairs(creates)),
    ]


_PREDECESSORS = {status: sorted(s.value for s in predecessors(status)) for status in OrderStatus}
