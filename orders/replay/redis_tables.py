"""The tables in Redis: the pointer, the freeze, switching, dropping, and each build's record.

A build's record is the hash `{ns}:replay:{name}`: mode, state, `--until`, counts, and
`p:{partition}` = the next offset to read (`end:{partition}` for a `--until` build's fixed
ends). The writer updates the positions in the same pipeline as the changes they cover.
"""

import secrets
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from orders.errors import ReplayError
from orders.redis_support import text
from orders.replay.build import Build, Mode, State
from orders.status_store.tables import TableKeys

# KEYS[1] the freeze key, KEYS[2] the pointer; ARGV[1] our freeze token, ARGV[2] the new table,
# ARGV[3] the legacy prefix. Switches only while the freeze is still ours (it expires: live
# writes may have gone to the old table since); returns the old table, or nil.
_SWITCH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local old = redis.call('GET', KEYS[2]) or ARGV[3]
redis.call('SET', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return old
"""

# KEYS[1] the freeze key; ARGV[1] our token. Lets the freeze go, unless it is someone else's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_UNLINK_BATCH = 500


def _build_fields(build: Build) -> dict[FieldT, EncodableT]:
    fields: dict[FieldT, EncodableT] = {
        "mode": build.mode.value,
        "state": build.state.value,
        "until": build.until,
        "created_at": build.created_at,
        "events": build.events,
        "skipped": build.skipped,
    }
    fields.update({f"p:{p}": offset for p, offset in build.positions.items()})
    fields.update({f"end:{p}": offset for p, offset in (build.ends or {}).items()})
    return fields


def _numbered(fields: Mapping[str, str], head: str) -> dict[int, int]:
    return {int(k[len(head) :]): int(v) for k, v in fields.items() if k.startswith(head)}


class StatusTables:
    def __init__(self, client: Redis, namespace: str) -> None:
        self.redis = client
        self.keys = TableKeys(namespace)
        self._switch = client.register_script(_SWITCH)
        self._release = client.register_script(_RELEASE)

    async def live_table(self) -> str:
        pointer = await self.redis.get(self.keys.pointer)
        return self.keys.legacy if pointer is None else text(pointer)

    async def take_freeze(self, ttl_s: float) -> str | None:
        """Freeze live writes for at most `ttl_s`; our token, or None when someone else holds
        the freeze (another replay is switching)."""
        token = secrets.token_hex(8)
        taken = await self.redis.set(self.keys.freeze, token, nx=True, px=int(ttl_s * 1000))
        return token if taken else None

    async def release_freeze(self, token: str) -> None:
        await self._release(keys=[self.keys.freeze], args=[token])

    async def switch(self, table: str, token: str) -> str | None:
        """Make `table` the live one and lift the freeze, in one step; the old live table, or
        None (nothing changed) when our freeze had expired."""
        keys = [self.keys.freeze, self.keys.pointer]
        old = await self._switch(keys=keys, args=[token, table, self.keys.legacy])
        return None if old is None else text(old)

    async def drop(self, table: str) -> int:
        """Delete every key of `table` (SCAN + UNLINK in batches); how many were deleted.
        Refuses the live table."""
        if table == await self.live_table():
            raise ReplayError(f"{table!r} is the live table; it is not dropped")
        deleted = 0
        for pattern in self.keys.patterns(table):
            batch: list[str] = []
            async for key in self.redis.scan_iter(match=pattern, count=1000):
                batch.append(text(key))
                if len(batch) >= _UNLINK_BATCH:
                    deleted += await self.redis.unlink(*batch)
                    batch = []
            if batch:
                deleted += await self.redis.unlink(*batch)
        return deleted

    async def save(self, build: Build) -> None:
        await self.redis.hset(self.keys.progress(build.name), mapping=_build_fields(build))

    async def set_state(self, name: str, state: State) -> None:
        await self.redis.hset(self.keys.progress(name), "state", state.value)

    async def forget(self, name: str) -> None:
        await self.redis.delete(self.keys.progress(name))

    async def load(self, name: str) -> Build | None:
        raw = await self.redis.hgetall(self.keys.progress(name))
        if not raw:
            return None
        fields = {text(k): text(v) for k, v in raw.items()}
        ends = _numbered(fields, "end:")
        return Build(
            name=name,
            table=self.keys.table(name),
            mode=Mode(fields["mode"]),
            positions=_numbered(fields, "p:"),
            ends=ends or None,
            until=fields.get("until", ""),
            state=State(fields["state"]),
            created_at=fields.get("created_at", ""),
            events=int(fields.get("events", 0)),
            skipped=int(fields.get("skipped", 0)),
        )

    async def builds(self) -> list[Build]:
        """Every build on record, oldest first."""
        head = self.keys.progress_pattern[:-1]
        names = [
            text(key)[len(head) :]
            async for key in self.redis.scan_iter(match=self.keys.progress_pattern, count=1000)
        ]
        found = [build for name in names if (build := await self.load(name)) is not None]
        return sorted(found, key=lambda b: (b.created_at, b.name))

    async def unfinished(self, mode: Mode) -> Build | None:
        """The newest build of `mode` that was interrupted, to resume."""
        building = [b for b in await self.builds() if b.mode is mode and b.state is State.BUILDING]
        return building[-1] if building else None
