"""Rebuild the status table into a fresh table and switch the live one over; or build a named
table (up to a point in the log) to inspect.

The switch, while the live table keeps serving:

1. catch the new table up to the log's current end offsets, pass after pass, until little is
   left (no freeze: the live projection keeps writing the old table);
2. take the freeze (`{ns}:status-freeze`, a token with a TTL): live writes now wait (the
   projection retries them), capture the end offsets H and catch up to H;
3. one Lua script checks that the freeze is still ours, points `{ns}:status-table` at the new
   table and lifts the freeze. Had the freeze expired (live writes went to the old table
   meanwhile), go back to 1.

Readers resolve the pointer in the same script that reads, so each request sees the old table
or the complete new one. The projection's waiting writes then land in the new table, where the
compare-and-set ignores those the replay already applied. After a grace period the old table is
dropped.
"""

import asyncio
import time
from dataclasses import dataclass, field

from orders.errors import ReplayError
from orders.replay.build import Build, Mode, Reporter, Silent, State, lag, new_name
from orders.replay.builder import Builder, StopRequest
from orders.replay.redis_tables import StatusTables
from orders.replay.redis_writer import TableWriter
from orders.replay.source import LogSource
from orders.replay.until import Until, offset_ends

MAX_PASSES = 20  # catch-up passes before freezing anyway (the log grows faster than we read?)
FREEZE_ATTEMPTS = 5


@dataclass(frozen=True)
class Switched:
    build: Build
    old_table: str
    dropped_keys: int
    frozen_s: float  # how long live writes waited for the switch


@dataclass
class Replayer:
    source: LogSource
    tables: StatusTables
    writer: TableWriter
    batch: int = 2000
    freeze_s: float = 15.0
    grace_s: float = 1.0
    reporter: Reporter = field(default_factory=Silent)
    stop_after_batches: int | None = None  # a hook for tests: stop (resumably) after N batches
    stop: StopRequest = field(default_factory=StopRequest)  # Ctrl-C

    def builder(self, build: Build) -> Builder:
        return Builder(
            self.source, self.writer, build, batch=self.batch, reporter=self.reporter,
            stop_after_batches=self.stop_after_batches, stop=self.stop,
        )  # fmt: skip

    async def start(self, mode: Mode, name: str, until: Until | None = None) -> Build:
        """Record a new build of `name` that reads the log from its first kept offsets."""
        marks = await asyncio.to_thread(self.source.watermarks)
        ends = None
        if until is not None:
            ends = offset_ends(until, {p: high for p, (_, high) in marks.items()})
            if ends is None and until.at is not None:
                ends = await asyncio.to_thread(self.source.offsets_after, until.at)
        build = Build(
            name=name,
            table=self.tables.keys.table(name),
            mode=mode,
            positions={p: low for p, (low, _) in marks.items()},
            ends=ends,
            until="" if until is None else str(until),
        )
        if mode is Mode.INTO:  # a chosen name: an earlier table of that name may have left keys
            await self.tables.drop(build.table)
        await self.tables.save(build)
        return build

    async def resume_or_start(self, mode: Mode, prefix: str = "") -> Build:
        build = await self.tables.unfinished(mode)
        if build is not None:
            self.reporter.say(f"resuming {build.name} ({build.events:,} events read before)")
            return build
        return await self.start(mode, new_name(prefix))

    async def catch_up_live(self, builder: Builder, small: int) -> None:
        """Catch up with the growing log until at most `small` records are left."""
        for number in range(1, MAX_PASSES + 1):
            await builder.catch_up(await builder.end_offsets(), f"pass {number}")
            if lag(builder.build.positions, await builder.end_offsets()) <= small:
                return

    async def rebuild_and_switch(self) -> Switched:
        build = await self.resume_or_start(Mode.SWITCH)
        builder = self.builder(build)
        small = 2 * self.batch  # what the freeze waits for: well under a second of reading
        await self.catch_up_live(builder, small)
        for _ in range(FREEZE_ATTEMPTS):
            started = time.monotonic()
            old = await self._switch_frozen(builder)
            if old is not None:
                frozen_s = time.monotonic() - started
                break
            self.reporter.say("the freeze expired before the switch; catching up again")
            await self.catch_up_live(builder, small)
        else:
            raise ReplayError(f"could not switch within {FREEZE_ATTEMPTS} freezes")
        await self.tables.set_state(build.name, State.LIVE)
        self.reporter.say(
            f"switched: the live table is now {build.table} (was {old}); "
            f"live writes waited {frozen_s:.2f}s"
        )
        await asyncio.sleep(self.grace_s)  # nothing needs it (reads are atomic): a courtesy
        dropped = await self.tables.drop(old)
        old_name = self.tables.keys.name_of(old)
        if old_name is not None:
            await self.tables.forget(old_name)
        self.reporter.say(f"dropped the old table {old} ({dropped:,} keys)")
        return Switched(build, old, dropped, frozen_s)

    async def _switch_frozen(self, builder: Builder) -> str | None:
        """Freeze live writes, catch up to the log's end, switch: the old table, or None when
        the freeze expired first."""
        token = await self.tables.take_freeze(self.freeze_s)
        if token is None:
            raise ReplayError(
                f"another replay is switching tables ({self.tables.keys.freeze} exists); "
                f"try again in {self.freeze_s:.0f}s"
            )
        try:
            await builder.catch_up(await builder.end_offsets(), "frozen")
            return await self.tables.switch(builder.build.table, token)
        finally:
            await self.tables.release_freeze(token)  # a no-op once switched

    async def build_into(self, name: str, until: Until | None) -> Build:
        """Build the table `name` (up to `until`, else to the log's current end); resumes an
        interrupted build of the same name and `until`."""
        build = await self.tables.load(name)
        if build is None:
            if self.tables.keys.table(name) == await self.tables.live_table():
                raise ReplayError(f"{name!r} is the live table")
            build = await self.start(Mode.INTO, name, until)
        elif build.state is not State.BUILDING or build.mode is not Mode.INTO:
            raise ReplayError(f"table {name!r} exists; `orderflow replay drop {name}` first")
        elif build.until != ("" if until is None else str(until)):
            raise ReplayError(f"an unfinished build of {name!r} has --until {build.until!r}")
        else:
            self.reporter.say(f"resuming {name} ({build.events:,} events read before)")
        builder = self.builder(build)
        ends = build.ends if build.ends is not None else await builder.end_offsets()
        await builder.catch_up(ends, f"until {build.until}" if build.until else "to the end")
        await self.tables.set_state(name, State.DONE)
        build.state = State.DONE
        return build

    async def drop(self, name: str) -> int:
        """Drop the table `name` (never the live one) and its build record."""
        deleted = await self.tables.drop(self.tables.keys.table(name))
        await self.tables.forget(name)
        return deleted
