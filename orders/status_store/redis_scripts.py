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
from collections.abc import Iterable
from typing import Any

from orders.domain.status import INITIAL, OrderStatus, predecessors
from orders.status_store.change_feed import feed_message
from orders.status_store.model import StatusChange
from orders.status_store.queries import BUCKET_S, MOVES_KEPT_S

FROZEN = -1  # what APPLY returns for a write to the live table while it is frozen

CHOOSE_TABLE = """
local tbl = ARGV[1]
if tbl == '' then
  tbl = redis.call('GET', KEYS[1]) or ARGV[2]
end
"""

# KEYS[1] the pointer, KEYS[2] the freeze key. ARGV[1], ARGV[2]: the table (above). ARGV[3]:
# the initial status. ARGV[4]: a JSON array of changes, applied in order (the projection sends
# one, a replay a batch), each an object with
#   order_id, status, version (a string: the event's offset),
#   at (epoch seconds, a string: the active index's score), entry (the history entry, JSON text),
#   terminal (bool), from (the statuses the new one may follow), set (field/value pairs set on
#   every write), unset (fields deleted on every write), create (field/value pairs set only
#   when the record is created), customer (the customer id or ''), note (the change feed's
#   message, JSON text, or '').
# ARGV[5] (optional): the change feed's channel; each written change with a note is PUBLISHed
# there. Only live writes publish: a replay builds a named table without one.
# ARGV[6] (optional): how many notes the change log `{channel}:log` (a stream) keeps, about
# (MAXLEN ~); each published note is appended there first, and published with its entry's id.
# Besides the order's own keys it keeps the list indexes (orders/status_store/tables.py):
# by-created, by-customer:{C} and by-status:{S}, all scored by the order's creation time, and
# the per-second count of placed orders (placed:{epoch second}, expiring 2 minutes after),
# and each change counted by its move in a hash per bucket of BUCKET_S seconds of its time
# (moved:{bucket start}, field '{previous status}>{status}' ('' previous for a new order),
# expiring MOVES_KEPT_S after the bucket ends; a replay's old times expire at once).
# The transition table stays in Python: the caller passes the predecessors, so Lua only
# compares. Versions are Kafka offsets, compared as Lua numbers (exact below 2^53).
# Returns how many changes were written (the others were old, repeated or illegal), or FROZEN
# (-1, nothing written) for the live table while the freeze key exists; a named table (a
# replay's) is never frozen.
APPLY = (
    """
if ARGV[1] == '' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
"""
    + CHOOSE_TABLE
    + f"local BUCKET, KEPT = {BUCKET_S}, {MOVES_KEPT_S}\n"
    + """
local initial = ARGV[3]
local channel = ARGV[5] or ''

-- The note goes to the change log (a capped stream) and, with the log entry's id spliced in
-- as "id" (a note is a JSON object), to the channel.
local function announce(note)
  local log_len = tonumber(ARGV[6] or '0')
  if log_len > 0 then
    local id = redis.call('XADD', channel .. ':log', 'MAXLEN', '~', log_len, '*', 'note', note)
    note = string.sub(note, 1, -2) .. ',"id":"' .. id .. '"}'
  end
  redis.call('PUBLISH', channel, note)
end

local function moved(c, from)
  local start = math.floor(tonumber(c.at) / BUCKET) * BUCKET
  local key = tbl .. ':moved:' .. start
  redis.call('HINCRBY', key, from .. '>' .. c.status, 1)
  redis.call('EXPIREAT', key, start + BUCKET + KEPT)
end

local function created(c)
  redis.call('ZADD', tbl .. ':by-created', c.at, c.order_id)
  if c.customer ~= '' then
    redis.call('ZADD', tbl .. ':by-customer:' .. c.customer, c.at, c.order_id)
  end
  local second = math.floor(tonumber(c.at))
  local placed = tbl .. ':placed:' .. second
  redis.call('INCR', placed)
  redis.call('EXPIREAT', placed, second + 120)
  return c.at
end

local function apply(c)
  local order = tbl .. ':order:' .. c.order_id
  local stored = redis.call('HMGET', order, 'status', 'version')
  local since
  if not stored[1] then
    if c.status ~= initial then return 0 end
    if #c.create > 0 then redis.call('HSET', order, unpack(c.create)) end
    since = created(c)
  else
    if tonumber(stored[2]) >= tonumber(c.version) then return 0 end
    local legal = false
    for _, p in ipairs(c.from) do
      if p == stored[1] then legal = true break end
    end
    if not legal then return 0 end
    redis.call('ZREM', tbl .. ':by-status:' .. stored[1], c.order_id)
    -- an order written before the indexes existed has no creation score: its change's time
    since = redis.call('ZSCORE', tbl .. ':by-created', c.order_id) or c.at
  end
  redis.call('ZADD', tbl .. ':by-status:' .. c.status, since, c.order_id)
  redis.call('HSET', order, 'status', c.status, 'version', c.version, unpack(c.set))
  if #c.unset > 0 then redis.call('HDEL', order, unpack(c.unset)) end
  redis.call('RPUSH', order .. ':history', c.entry)
  moved(c, stored[1] or '')
  if c.terminal then
    redis.call('ZREM', tbl .. ':active', c.order_id)
  else
    redis.call('ZADD', tbl .. ':active', c.at, c.order_id)
  end
  if channel ~= '' and c.note ~= '' then announce(c.note) end
  return 1
end

local written = 0
for _, c in ipairs(cjson.decode(ARGV[4])) do
  written = written + apply(c)
end
return written
"""
)

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the order id.
# Returns {hash as a flat field/value list, history list}.
GET = (
    CHOOSE_TABLE
    + """
local order = tbl .. ':order:' .. ARGV[3]
return {redis.call('HGETALL', order), redis.call('LRANGE', order .. ':history', 0, -1)}
"""
)

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the highest score (ZRANGEBYSCORE
# syntax), ARGV[4] the most orders. Returns {order id, score, status or ''} per order.
STALLED = (
    CHOOSE_TABLE
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


def change_object(change: StatusChange, *, note: bool = False) -> dict[str, Any]:
    """One change as APPLY reads it (layout documented next to the script); with `note`, the
    change feed's message too (orders/status_store/change_feed.py)."""
    at = change.at.isoformat()
    status = change.status.value
    updates = ["updated_at", at]
    removals: list[str] = []
    if change.reason is None:
        removals.append("reason")  # the reason belongs to the latest change only
    else:
        updates += ["reason", change.reason]
    creates = ["created_at", at]
    if change.total is not None:
        creates += ["total", str(change.total)]
    if change.customer_id is not None:
        creates += ["customer_id", change.customer_id]
    # The history entry's text, exactly as json.dumps writes {"status", "at", "reason",
    # "version"} (this runs for every event of a replay; status and time need no escaping).
    reason = json.dumps(change.reason)
    version = change.version
    entry = f'{{"status": "{status}", "at": "{at}", "reason": {reason}, "version": {version}}}'
    return {
        "order_id": change.order_id,
        "status": status,
        "version": str(change.version),
        "at": repr(change.at.timestamp()),
        "entry": entry,
        "terminal": change.status.is_terminal,
        "from": _PREDECESSORS[change.status],
        "set": updates,
        "unset": removals,
        "create": creates,
        "customer": change.customer_id or "",
        "note": feed_message(change) if note else "",
    }


def apply_args(
    table: str, legacy: str, changes: Iterable[StatusChange], channel: str = "", log_len: int = 0
) -> list[str]:
    """APPLY's ARGV for `changes`; `table` '' means the live table. With `channel`, each
    written change is published there (the change feed), and kept in the change log when
    `log_len` > 0."""
    batch = [change_object(change, note=bool(channel)) for change in changes]
    # Non-ASCII goes through as UTF-8 (not \u escapes), so Lua stores the very same bytes.
    changes_json = json.dumps(batch, ensure_ascii=False)
    return [table, legacy, INITIAL.value, changes_json, channel, str(log_len)]


_PREDECESSORS = {status: sorted(s.value for s in predecessors(status)) for status in OrderStatus}
