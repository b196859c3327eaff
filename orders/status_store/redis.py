"""The status table on Redis: one hash and one history list per order, under a table prefix.

Keys (orders/status_store/tables.py draws the whole layout), with ``{table}`` the live table's
prefix: the value of the pointer ``{ns}:status-table``, or the namespace ``{ns}`` itself when
there is no pointer (the layout before tables existed):

- ``{table}:order:{order_id}``: hash with status, reason, version, created_at, updated_at,
  total and customer_id (absent fields mean None);
- ``{table}:order:{order_id}:history``: list of JSON entries ``{"status", "at", "reason",
  "version"}`` (entries written before versions were recorded have no "version");
- ``{table}:active``: sorted set of the orders not in a terminal status, scored by the time
  they entered their current status (epoch seconds): what the deadline job scans;
- the list indexes and counters GET /orders and GET /stats read (redis_queries.py).

Live writes also publish each change on the change feed ``{ns}:changes`` (change_feed.py) and
keep it in the change log ``{ns}:changes:log`` (change_log.py).

Datetimes are ISO-8601 strings, totals are Decimal strings. Every write goes through one Lua
script (orders/status_store/redis_scripts.py) so the compare-and-set on (version, status) and
the history append are atomic, and every read is one script too: the pointer is resolved in the
same atomic step, so `orderflow replay` can switch tables under running services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from orders.domain.status import OrderStatus
from orders.errors import StatusTableFrozen
from orders.redis_support import redis_client, text, unavailable_on_redis_errors
from orders.status_store import redis_scripts as lua
from orders.status_store.change_log import DEFAULT_CHANGE_LOG_LEN, RedisChangeLog
from orders.status_store.model import HistoryEntry, OrderView, StalledOrder, StatusChange
from orders.status_store.queries import ListQuery, MoveCounts, OrderPage, Stats
from orders.status_store.redis_queries import RedisOrderQueries
from orders.status_store.tables import TableKeys


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


def _fields(flat: Sequence[Any]) -> dict[str, str]:
    """A hash from HGETALL's flat field/value list (as a script returns it)."""
    return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat), 2)}


class RedisStatusStore:
    """StatusStore on redis.asyncio. The store owns `client`: close() closes it.

    By default it reads and writes the live table (it follows the pointer). With `table`, it
    uses the table of that name instead, e.g. to inspect one built by
    `orderflow replay --until ... --into NAME`.
    """

    def __init__(
        self,
        client: Redis,
        namespace: str,
        *,
        table: str | None = None,
        change_log_len: int = DEFAULT_CHANGE_LOG_LEN,
    ) -> None:
        self._redis = client
        self.keys = TableKeys(namespace)
        self._table = "" if table is None else self.keys.table(table)  # '': the live table
        self._apply_script = client.register_script(lua.APPLY)
        self._get_script = client.register_script(lua.GET)
        self._stalled_script = client.register_script(lua.STALLED)
        self._queries = RedisOrderQueries(client, self.keys, self._table)
        # Only the live table announces its changes: a pinned store writes a replay's table.
        self._channel = self.keys.changes if table is None else ""
        self._change_log_len = change_log_len
        self.change_log = RedisChangeLog(client, self.keys.change_log)

    @classmethod
    def from_url(
        cls,
        url: str,
        namespace: str,
        *,
        timeout_s: float = 2.0,
        table: str | None = None,
        change_log_len: int = DEFAULT_CHANGE_LOG_LEN,
    ) -> RedisStatusStore:
        """A store on a new client for `url`; connects lazily, on the first command.

        Every command gives up after about `timeout_s` (plus one quick retry): callers answer
        503 or retry later rather than hang on a Redis that does not answer.
        """
        client = redis_client(url, timeout_s=timeout_s)
        return cls(client, namespace, table=table, change_log_len=change_log_len)

    def _args(self, *more: str) -> list[str]:
        return [self._table, self.keys.legacy, *more]

    async def apply(self, change: StatusChange) -> bool:
        """Raises StatusTableFrozen (a StoreUnavailable) while a replay switches tables."""
        return await self.apply_all([change]) == 1

    async def apply_all(self, changes: Sequence[StatusChange]) -> int:
        """One APPLY call for the whole list. Raises StatusTableFrozen (a StoreUnavailable),
        with nothing written, while a replay switches tables."""
        if not changes:
            return 0
        keys = [self.keys.pointer, self.keys.freeze]
        args = lua.apply_args(
            self._table, self.keys.legacy, changes, self._channel, self._change_log_len
        )
        with unavailable_on_redis_errors("apply"):
            written = int(await self._apply_script(keys=keys, args=args))
        if written == lua.FROZEN:
            raise StatusTableFrozen("the status table is being switched; retry shortly")
        return written

    async def get(self, order_id: str) -> OrderView | None:
        with unavailable_on_redis_errors("get"):
            flat, history = await self._get_script(
                keys=[self.keys.pointer], args=self._args(order_id)
            )
        if not flat:
            return None
        return _view(order_id, _fields(flat), [text(entry) for entry in history])

    async def stalled(self, older_than: datetime, limit: int = 100) -> list[StalledOrder]:
        before = f"({older_than.timestamp()!r}"  # "(": strictly older
        with unavailable_on_redis_errors("stalled"):
            found = await self._stalled_script(
                keys=[self.keys.pointer], args=self._args(before, str(limit))
            )
        return [
            StalledOrder(
                order_id=text(order_id),
                status=OrderStatus(text(status)),
                since=_utc(float(text(score))),
            )
            for order_id, score, status in found
            if text(status)  # '': the order's hash is gone (deleted by hand)
        ]

    async def list_orders(self, query: ListQuery) -> OrderPage:
        rows, after = await self._queries.list_rows(query)
        return OrderPage(tuple(_view(order_id, fields, []) for order_id, fields in rows), after)

    async def stats(self) -> Stats:
        return await self._queries.stats()

    async def moves(self, since: datetime, until: datetime) -> MoveCounts:
        return await self._queries.moves(since.timestamp(), until.timestamp())

    async def ping(self) -> None:
        with unavailable_on_redis_errors("ping"):
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
