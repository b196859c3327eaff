"""GET /orders and GET /stats on Redis: scripts over the indexes APPLY keeps (tables.py).

Both resolve the live table like every other script (redis_scripts.py), so a table switch is
seen entirely or not at all.
"""

import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from orders.domain.status import OrderStatus
from orders.redis_support import text, unavailable_on_redis_errors
from orders.status_store.queries import (
    BUCKET_S,
    Cursor,
    ListQuery,
    MoveCounts,
    Stats,
    bucket_start,
    parse_move,
)
from orders.status_store.redis_scripts import CHOOSE_TABLE
from orders.status_store.tables import TableKeys

# How many index entries one page may look at when it filters (status and customer both given):
# a page may come back short, with a cursor to go on from.
SCAN_BUDGET = 1000

Row = tuple[str, dict[str, str]]  # an order id and its hash

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the index ('by-created', ...);
# ARGV[4] a status the orders must be in, or ''; ARGV[5] the highest score ('+inf' or the
# cursor's); ARGV[6] the cursor's order id or ''; ARGV[7] the page size; ARGV[8] the budget.
# Returns {{order id, score, hash as a flat list}..., more (1 or 0)}: the last entry looked at
# is the last one returned unless the filter dropped it; then its id and score come with {}.
LIST = (
    CHOOSE_TABLE
    + """
local index = tbl .. ':' .. ARGV[3]
local want, max, after = ARGV[4], ARGV[5], ARGV[6]
local limit, budget = tonumber(ARGV[7]), tonumber(ARGV[8])
local out, found, looked, pos = {}, 0, 0, 0
local last = nil
while found < limit and looked < budget do
  local page = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', pos, 100)
  if #page == 0 then break end
  for i = 1, #page, 2 do
    local id, score = page[i], page[i + 1]
    pos = pos + 1
    if after == '' or tonumber(score) < tonumber(max) or id < after then
      looked = looked + 1
      local fields = redis.call('HGETALL', tbl .. ':order:' .. id)
      local status = nil
      for j = 1, #fields, 2 do
        if fields[j] == 'status' then status = fields[j + 1] end
      end
      if status and (want == '' or status == want) then
        found = found + 1
        out[#out + 1] = {id, score, fields}
        last = nil
      else
        last = {id, score, {}}
      end
      if found >= limit or looked >= budget then break end
    end
  end
end
if last then out[#out + 1] = last end
local rest = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'LIMIT', pos, 1)
out[#out + 1] = #rest
return out
"""
)

# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the current epoch second;
# ARGV[4...] the statuses. Returns {placed in the last 60 s, count of each status...}.
STATS = (
    CHOOSE_TABLE
    + """
local now = tonumber(ARGV[3])
local placed = 0
for second = now - 59, now do
  placed = placed + tonumber(redis.call('GET', tbl .. ':placed:' .. second) or '0')
end
local out = {placed}
for i = 4, #ARGV do
  out[#out + 1] = redis.call('ZCARD', tbl .. ':by-status:' .. ARGV[i])
end
return out
"""
)


# KEYS[1] the pointer; ARGV[1], ARGV[2] the table; ARGV[3] the first bucket's start, ARGV[4]
# the last one's, ARGV[5] the bucket width. Returns {{start, hash as a flat list}...}, leaving
# out empty buckets.
MOVES = (
    CHOOSE_TABLE
    + """
local out = {}
for start = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) do
  local counts = redis.call('HGETALL', tbl .. ':moved:' .. start)
  if #counts > 0 then out[#out + 1] = {start, counts} end
end
return out
"""
)
MAX_BUCKETS = 1000  # what one call may read: more than MOVES_KEPT_S holds


def _index(query: ListQuery) -> tuple[str, str]:
    """The index to walk, and the status to filter on ('' none)."""
    status = query.status.value if query.status else ""
    if query.customer_id is not None:
        return f"by-customer:{query.customer_id}", status
    if status:
        return f"by-status:{status}", ""
    return "by-created", ""


class RedisOrderQueries:
    def __init__(self, client: Redis, keys: TableKeys, table: str) -> None:
        self.keys = keys
        self._table = table  # '': the live table
        self._list = client.register_script(LIST)
        self._stats = client.register_script(STATS)
        self._moves = client.register_script(MOVES)

    async def list_rows(self, query: ListQuery) -> tuple[list[Row], Cursor | None]:
        """The page's orders as stored (id, hash) and the next page's cursor."""
        index, want = _index(query)
        after = query.after
        args = [self._table, self.keys.legacy, index, want]
        args += [after.score if after else "+inf", after.order_id if after else ""]
        args += [str(query.limit), str(SCAN_BUDGET)]
        with unavailable_on_redis_errors("list"):
            reply = await self._list(keys=[self.keys.pointer], args=args)
        *rows, more = reply
        found = [(text(r[0]), _flat(r[2])) for r in rows if r[2]]
        nxt = Cursor(text(rows[-1][1]), text(rows[-1][0])) if rows and int(more) else None
        return found, nxt

    async def stats(self) -> Stats:
        statuses = list(OrderStatus)
        args = [self._table, self.keys.legacy, str(int(time.time()))]
        args += [s.value for s in statuses]
        with unavailable_on_redis_errors("stats"):
            placed, *counts = await self._stats(keys=[self.keys.pointer], args=args)
        return Stats(
            counts={s: int(n) for s, n in zip(statuses, counts, strict=True)},
            placed_last_minute=int(placed),
        )

    async def moves(self, since: float, until: float) -> MoveCounts:
        last = bucket_start(until)
        first = max(bucket_start(since), last - (MAX_BUCKETS - 1) * BUCKET_S)
        args = [self._table, self.keys.legacy, str(first), str(last), str(BUCKET_S)]
        with unavailable_on_redis_errors("moves"):
            found = await self._moves(keys=[self.keys.pointer], args=args)
        counts: MoveCounts = {}
        for start, flat in found:
            for name, count in _flat(flat).items():
                move = parse_move(name)
                if move is not None:
                    counts.setdefault(int(start), {})[move] = int(count)
        return counts


def _flat(flat: Sequence[Any]) -> dict[str, str]:
    return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat), 2)}
