"""Writes a batch of status changes into a table being built, with the projection's own Lua
compare-and-set (orders/status_store/redis_scripts.py), and the build's new positions.

One pipeline per batch: the changes, SCRIPT_CHANGES to a script call (one call blocks Redis
for a few milliseconds at most), then the positions. Commands of a pipeline run in order,
so a position is never stored before the changes it covers. A batch cut short (a crash, a
Ctrl-C) leaves older positions, and reading those records again is harmless: the CAS ignores a
change whose version (offset) the table already has.
"""

from collections.abc import Mapping, Sequence

from redis.asyncio import Redis

from orders.replay.build import Build
from orders.status_store import redis_scripts as lua
from orders.status_store.model import StatusChange
from orders.status_store.tables import TableKeys

SCRIPT_CHANGES = 250


class TableWriter:
    def __init__(self, client: Redis, namespace: str) -> None:
        self.redis = client
        self.keys = TableKeys(namespace)
        self._apply = client.register_script(lua.APPLY)

    async def write(
        self,
        build: Build,
        changes: Sequence[StatusChange],
        positions: Mapping[int, int],
        read: int,
        skipped: int,
    ) -> int:
        """Apply `changes` to the build's table and record `positions` (partition -> next
        offset) and the counts; how many changes were written (the others were repeats)."""
        keys = [self.keys.pointer, self.keys.freeze]
        async with self.redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(changes), SCRIPT_CHANGES):
                chunk = changes[start : start + SCRIPT_CHANGES]
                # A named table: the freeze (for live writes only) does not apply.
                args = lua.apply_args(build.table, self.keys.legacy, chunk)
                await self._apply(keys=keys, args=args, client=pipe)
            progress = self.keys.progress(build.name)
            if positions:
                pipe.hset(progress, mapping={f"p:{p}": o for p, o in positions.items()})
            pipe.hincrby(progress, "events", read)
            pipe.hincrby(progress, "skipped", skipped)
            results = await pipe.execute()
        return sum(int(written) for written in results[: -3 if positions else -2])
