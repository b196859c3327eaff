"""Building tables from the log (on an in-memory log and fakeredis): the same table as the live
projection, deterministic, resumable, point-in-time, undecodable records skipped."""

from datetime import timedelta

import pytest
from fakeredis.aioredis import FakeRedis

from orders.domain.events import Event
from orders.errors import ReplayError
from orders.replay.build import Mode, State
from orders.replay.builder import ReplayStopped
from orders.replay.snapshot import StoredOrder, snapshot
from orders.replay.until import Until
from orders.status_store.projection import status_change
from orders.status_store.redis import RedisStatusStore
from tests.unit.replay_helpers import NS, T0, FakeLog, filled_log, replayer

Written = list[tuple[int, int, Event]]


async def project(client: FakeRedis, written: Written, table: str | None = None) -> None:
    """What the live projection does: each event through the store's apply, in log order."""
    store = RedisStatusStore(client, NS, table=table)
    for _, offset, event in written:
        change = status_change(event, offset)
        if change is not None:
            await store.apply(change)


async def projected(written: Written) -> dict[str, StoredOrder]:
    client = FakeRedis(decode_responses=True)
    await project(client, written)
    return await snapshot(client, NS)


async def test_the_rebuilt_table_equals_what_the_projection_wrote() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    await project(client, written)  # the live table (legacy layout)

    build = await replayer(log, client).build_into("copy", None)

    live = await snapshot(client, NS)
    assert len(live) == 12
    assert await snapshot(client, build.table) == live
    assert (build.state, build.events, build.skipped) == (State.DONE, len(written), 0)
    assert sum(1 for order in live.values() if order.active is not None) == 1  # the open one


async def test_building_twice_gives_the_same_table() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    first = await replayer(log, client).build_into("first", None)
    second = await replayer(log, client).build_into("second", None)

    assert await snapshot(client, first.table) == await snapshot(client, second.table)


async def test_undecodable_records_are_skipped_and_counted() -> None:
    log, written = filled_log()
    log.append(0, b"not json", T0)
    log.append(1, None, T0)
    log.append(2, b'{"type": "Unknown"}', T0)
    client = FakeRedis(decode_responses=True)

    build = await replayer(log, client).build_into("copy", None)

    assert (build.events, build.skipped) == (len(written) + 3, 3)
    assert await snapshot(client, build.table) == await projected(written)
    stored = await replayer(log, client).tables.load("copy")
    assert stored is not None
    assert (stored.events, stored.skipped) == (len(written) + 3, 3)


async def test_a_stopped_build_resumes_where_it_stopped() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    with pytest.raises(ReplayStopped):
        await replayer(log, client, stop_after_batches=3).build_into("again", None)
    halfway = await replayer(log, client).tables.load("again")
    assert halfway is not None
    assert halfway.state is State.BUILDING
    assert 0 < halfway.events < len(written)

    build = await replayer(log, client).build_into("again", None)

    assert build.events == len(written)  # each record read once: it went on, not from 0
    assert await snapshot(client, build.table) == await projected(written)


async def test_until_an_offset() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)

    build = await replayer(log, client).build_into("then", Until(offset=9))

    table = await snapshot(client, build.table)
    assert table == await projected([w for w in written if w[1] <= 9])
    assert max(int(order.version) for order in table.values()) == 9
    assert build.until == "9"


async def test_until_a_time() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    at = T0 + timedelta(seconds=30)  # the log's records are a second apart

    build = await replayer(log, client).build_into("then", Until(at=at))

    assert await snapshot(client, build.table) == await projected(written[:31])


async def test_a_built_table_is_not_built_over() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    await replayer(log, client).build_into("then", Until(offset=3))

    with pytest.raises(ReplayError, match="exists"):
        await replayer(log, client).build_into("then", Until(offset=3))


async def test_an_unfinished_build_resumes_only_with_its_own_until() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    with pytest.raises(ReplayStopped):
        await replayer(log, client, stop_after_batches=1).build_into("then", Until(offset=8))

    with pytest.raises(ReplayError, match="--until"):
        await replayer(log, client).build_into("then", Until(offset=3))


async def test_drop_forgets_the_table() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    made = replayer(log, client)
    await made.build_into("gone", None)

    assert await made.drop("gone") > 0
    assert await client.keys(f"{NS}:*") == []
    assert await made.tables.builds() == []


async def test_a_missing_topic_is_a_replay_error() -> None:
    with pytest.raises(ReplayError):
        await replayer(FakeLog(), FakeRedis(decode_responses=True)).build_into("x", None)


async def test_builds_are_listed_with_their_mode_and_state() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    made = replayer(log, client)
    await made.build_into("then", Until(offset=2))

    (build,) = await made.tables.builds()
    assert (build.name, build.mode, build.state, build.until) == (
        "then",
        Mode.INTO,
        State.DONE,
        "2",
    )
    assert build.table == f"{NS}:t:then"
