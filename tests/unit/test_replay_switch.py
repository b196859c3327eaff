"""Switching the live table (on an in-memory log and fakeredis), and --verify."""

from datetime import timedelta

import pytest
from fakeredis.aioredis import FakeRedis

from orders.domain.status import OrderStatus
from orders.errors import ReplayError, StatusTableFrozen
from orders.replay.build import State
from orders.replay.redis_tables import StatusTables
from orders.replay.snapshot import snapshot
from orders.replay.verify import verify
from orders.status_store.redis import RedisStatusStore
from stream_processors.streams import is_transient
from tests.unit.replay_helpers import NS, T0, filled_log, order_id, replayer
from tests.unit.test_replay_build import project, projected


class Recorder:
    """A Reporter that keeps what it was told."""

    def __init__(self) -> None:
        self.passes: list[tuple[str, int]] = []
        self.lags: list[int] = []
        self.read = 0
        self.said: list[str] = []

    def start_pass(self, label: str, lag: int) -> None:
        self.passes.append((label, lag))

    def advance(self, read: int, lag: int) -> None:
        self.read += read
        self.lags.append(lag)

    def end_pass(self) -> None:
        return None

    def say(self, message: str) -> None:
        self.said.append(message)


async def test_switch_from_the_legacy_table() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    await project(client, written)
    live_before = await snapshot(client, NS)
    await client.set(f"{NS}:idem:key", "kept")
    recorder = Recorder()

    switched = await replayer(log, client, reporter=recorder).rebuild_and_switch()

    tables = StatusTables(client, NS)
    assert switched.old_table == NS
    assert await tables.live_table() == switched.build.table
    assert await snapshot(client, switched.build.table) == live_before
    assert await client.keys(f"{NS}:order:*") == []  # the old table is dropped
    assert await client.exists(f"{NS}:active", f"{NS}:status-freeze") == 0
    assert await client.get(f"{NS}:idem:key") == "kept"
    build = await tables.load(switched.build.name)
    assert build is not None
    assert build.state is State.LIVE
    store = RedisStatusStore(client, NS)  # what the status API and the deadline job use
    view = await store.get(order_id(0))
    assert view is not None
    assert view.status is OrderStatus.COMPLETED
    stalled = await store.stalled(T0 + timedelta(days=1))
    assert [s.order_id for s in stalled] == [order_id(11)]
    assert recorder.read == len(written)
    assert recorder.lags[-1] == 0
    assert [label for label, _ in recorder.passes] == ["pass 1", "frozen"]


async def test_after_a_flushall_the_table_comes_back() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    await project(client, written)
    await client.flushall()

    switched = await replayer(log, client).rebuild_and_switch()

    assert await snapshot(client, switched.build.table) == await projected(written)


async def test_a_second_switch_drops_the_first_table() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    first = await replayer(log, client).rebuild_and_switch()

    second = await replayer(log, client).rebuild_and_switch()

    assert second.old_table == first.build.table
    assert await client.keys(f"{first.build.table}:*") == []
    assert await StatusTables(client, NS).load(first.build.name) is None
    assert await snapshot(client, second.build.table) == await projected(written)


async def test_an_expired_freeze_means_catching_up_and_freezing_again() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    made = replayer(log, client)
    real_switch = made.tables.switch
    calls = 0

    async def expire_first(table: str, token: str) -> str | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await client.delete(f"{NS}:status-freeze")  # the TTL ran out
        return await real_switch(table, token)

    made.tables.switch = expire_first  # type: ignore[method-assign]
    switched = await made.rebuild_and_switch()

    assert calls == 2
    assert await made.tables.live_table() == switched.build.table
    assert await snapshot(client, switched.build.table) == await projected(written)


async def test_someone_elses_freeze_stops_a_switch() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    await client.set(f"{NS}:status-freeze", "theirs", px=30_000)

    with pytest.raises(ReplayError, match="another replay"):
        await replayer(log, client).rebuild_and_switch()
    assert await client.get(f"{NS}:status-freeze") == "theirs"
    assert await StatusTables(client, NS).live_table() == NS


async def test_verify_a_healthy_table() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    await project(client, written)

    assert await verify(replayer(log, client), settle_s=0) == []
    assert await client.keys(f"{NS}:t:*") == []  # the scratch table is dropped
    assert await client.keys(f"{NS}:replay:*") == []


async def test_verify_names_exactly_the_orders_that_differ() -> None:
    log, written = filled_log()
    client = FakeRedis(decode_responses=True)
    await project(client, written)
    await client.hset(f"{NS}:order:{order_id(4)}", "status", "PAID")  # was COMPLETED
    await client.delete(f"{NS}:order:{order_id(8)}")  # lost (a cancelled order)

    found = await verify(replayer(log, client), settle_s=0)

    assert [(d.order_id, d.live is None) for d in found] == [
        (order_id(4), False),
        (order_id(8), True),
    ]
    version = await client.hget(f"{NS}:order:{order_id(4)}", "version")
    assert found[0].describe() == (
        f"{order_id(4)}  live: PAID v{version}  rebuilt: COMPLETED v{version}  differs in: status"
    )
    assert "  live: missing  rebuilt: CANCELLED v" in found[1].describe()


async def test_verify_after_a_switch_compares_with_the_new_live_table() -> None:
    log, _ = filled_log()
    client = FakeRedis(decode_responses=True)
    switched = await replayer(log, client).rebuild_and_switch()
    await client.hset(f"{switched.build.table}:order:{order_id(1)}", "reason", "edited")

    found = await verify(replayer(log, client), settle_s=0)

    assert [d.order_id for d in found] == [order_id(1)]
    assert found[0].live is not None
    assert found[0].rebuilt is not None
    assert found[0].live.differences(found[0].rebuilt) == ["reason"]


def test_a_frozen_table_is_a_transient_failure_for_the_stages() -> None:
    # The projection's write waits (retried with backoff, never dead-lettered) during a switch.
    assert is_transient(StatusTableFrozen("switching"))
