"""`orderflow replay --verify`: rebuild into a scratch table and compare it with the live one.

The live projection may lag behind the log, so a difference is confirmed in rounds: each round
reads the live orders first and only then catches the scratch table up to the log's end, so
the scratch table has seen at least every event the live one had. A difference the live
projection was still working on disappears in a later round; one that outlasts `settle_s` is
reported. The scratch table is dropped at the end.
"""

import asyncio
import time
from dataclasses import dataclass

from orders.replay.build import Mode, State, new_name
from orders.replay.replay import Replayer
from orders.replay.snapshot import StoredOrder, order_ids, read_orders

SETTLE_POLL_S = 0.5


@dataclass(frozen=True)
class Difference:
    order_id: str
    live: StoredOrder | None  # None: the live table does not have the order
    rebuilt: StoredOrder | None  # None: the log has no such order

    def describe(self) -> str:
        def side(order: StoredOrder | None) -> str:
            return "missing" if order is None else f"{order.status} v{order.version}"

        if self.live is None or self.rebuilt is None:
            what = ""
        else:
            what = f"  differs in: {', '.join(self.live.differences(self.rebuilt))}"
        return f"{self.order_id}  live: {side(self.live)}  rebuilt: {side(self.rebuilt)}{what}"


async def verify(replayer: Replayer, settle_s: float = 5.0) -> list[Difference]:
    """The orders whose rebuilt record differs from the live one (none in a healthy system)."""
    tables = replayer.tables
    for stale in await tables.builds():  # scratch tables of a verify that was killed
        if stale.mode is Mode.VERIFY and stale.state is State.BUILDING:
            await replayer.drop(stale.name)
    build = await replayer.start(Mode.VERIFY, new_name("verify-"))
    builder = replayer.builder(build)
    try:
        await replayer.catch_up_live(builder, small=replayer.batch)
        deadline = time.monotonic() + settle_s
        candidates: set[str] | None = None  # None: every order
        while True:
            live_table = await tables.live_table()
            ids = candidates or await order_ids(tables.redis, live_table)
            live = await read_orders(tables.redis, live_table, ids)
            await builder.catch_up(await builder.end_offsets(), "verify")
            if candidates is None:
                ids = ids | await order_ids(tables.redis, build.table)
            rebuilt = await read_orders(tables.redis, build.table, ids)
            found = [
                Difference(order_id, live.get(order_id), rebuilt.get(order_id))
                for order_id in sorted(ids)
                if live.get(order_id) != rebuilt.get(order_id)
            ]
            if not found or time.monotonic() >= deadline:
                return found
            candidates = {d.order_id for d in found}
            await asyncio.sleep(SETTLE_POLL_S)
    finally:
        await replayer.drop(build.name)
