"""A log holding both schema versions rebuilds to the right table: the v1 fixture's records,
byte for byte as v1 writers put them on the log, beside v2 orders, through the replay (and so
through the codec's upcasting)."""

from datetime import timedelta
from pathlib import Path

from fakeredis.aioredis import FakeRedis

from orders.contracts import codec
from orders.replay.snapshot import snapshot
from orders.status_store.projection import status_change
from orders.status_store.redis import RedisStatusStore
from tests.unit.replay_helpers import NS, T0, FakeLog, filled_log, replayer

V1_LOG = Path(__file__).parent.parent / "fixtures" / "events-v1" / "order-events.jsonl"
V1_OUTCOMES = {  # the fixture's five orders (tests/fixtures/events-v1/README.md)
    "01JPBX4Z7K3M9Q2R5T8V0W1Y3A": "COMPLETED",
    "01JPBX4Z7K3M9Q2R5T8V0W1Y3B": "REJECTED",
    "01JPBX4Z7K3M9Q2R5T8V0W1Y3C": "OUT_OF_STOCK",
    "01JPBX4Z7K3M9Q2R5T8V0W1Y3D": "PAYMENT_DECLINED",
    "01JPBX4Z7K3M9Q2R5T8V0W1Y3E": "CANCELLED",
}


def mixed_log() -> FakeLog:
    """Partition 0 holds the v1 fixture; partitions 1 and 2 hold v2 orders."""
    v2_log, _ = filled_log(orders=6, partitions=3)
    log = FakeLog()
    for n, line in enumerate(V1_LOG.read_bytes().splitlines()):
        log.append(0, line, T0 + timedelta(seconds=n))
    for partition in (1, 2):
        for entry in v2_log.partitions_[partition]:
            log.append(partition, entry.value, entry.at)
    return log


async def project(client: FakeRedis, log: FakeLog) -> None:
    """What the live projection does: decode (upcasting v1), then apply, in log order."""
    store = RedisStatusStore(client, NS)
    for partition in log.partitions():
        for offset, entry in enumerate(log.partitions_[partition]):
            change = status_change(codec.decode_order_event(entry.value), offset)
            if change is not None:
                await store.apply(change)


async def test_a_log_of_both_versions_rebuilds_to_the_right_table() -> None:
    log = mixed_log()
    client = FakeRedis(decode_responses=True)
    await project(client, log)

    build = await replayer(log, client).build_into("mixed", None)

    rebuilt = await snapshot(client, build.table)
    assert build.skipped == 0
    assert rebuilt == await snapshot(client, NS)
    assert {o: rebuilt[o].status for o in V1_OUTCOMES} == V1_OUTCOMES
    assert len(rebuilt) == len(V1_OUTCOMES) + 4  # and the v2 orders of partitions 1 and 2
