"""Every order of a table exactly as stored (for `--verify` and for tests that compare tables)."""

from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from orders.redis_support import text
from orders.status_store.tables import active_key, history_key, order_key

_CHUNK = 500


@dataclass(frozen=True)
class StoredOrder:
    fields: dict[str, str]  # the order's hash
    history: tuple[str, ...]  # its history entries, as stored (JSON)
    active: float | None  # its score in the active index; None when not in it

    @property
    def status(self) -> str:
        return self.fields.get("status", "?")

    @property
    def version(self) -> str:
        return self.fields.get("version", "?")

    def differences(self, other: "StoredOrder") -> list[str]:
        """Names of what differs: hash fields, then 'history' and 'active'."""
        names = sorted(
            k for k in self.fields.keys() | other.fields.keys()
            if self.fields.get(k) != other.fields.get(k)
        )  # fmt: skip
        if self.history != other.history:
            names.append("history")
        if self.active != other.active:
            names.append("active")
        return names


async def order_ids(client: Redis, table: str) -> set[str]:
    """The ids of every order in `table`."""
    history_suffix = ":history"
    head = order_key(table, "")
    ids = set()
    async for key in client.scan_iter(match=order_key(table, "*"), count=1000):
        name = text(key)
        if not name.endswith(history_suffix):
            ids.add(name[len(head) :])
    return ids


async def read_orders(client: Redis, table: str, ids: Iterable[str]) -> dict[str, StoredOrder]:
    """The stored orders among `ids` (absent ones are left out), read in pipelined chunks."""
    wanted = sorted(ids)
    found: dict[str, StoredOrder] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        async with client.pipeline(transaction=False) as pipe:
            for order_id in chunk:
                pipe.hgetall(order_key(table, order_id))
                pipe.lrange(history_key(table, order_id), 0, -1)
                pipe.zscore(active_key(table), order_id)
            replies = await pipe.execute()
        for i, order_id in enumerate(chunk):
            fields, history, score = replies[3 * i : 3 * i + 3]
            if fields:
                found[order_id] = StoredOrder(
                    fields={text(k): text(v) for k, v in fields.items()},
                    history=tuple(text(entry) for entry in history),
                    active=None if score is None else float(score),
                )
    return found


async def snapshot(client: Redis, table: str) -> dict[str, StoredOrder]:
    """Every order of `table`. Not atomic: meant for tables nothing writes to meanwhile."""
    return await read_orders(client, table, await order_ids(client, table))
