"""`orderflow replay` on a real Kafka log and Redis: resumable after a stop or a Ctrl-C,
point-in-time by broker timestamp, undecodable records skipped."""

import asyncio
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from orderflow.replay_bench import order_events, publish
from orders.contracts.admin import ensure_topics
from orders.contracts.codec import encode, encode_key
from orders.contracts.topics import LIBRDKAFKA_PARTITIONER, Topics
from orders.settings import Settings
from tests.replay_cli import REPO_ROOT, delete_keys, explain, replay_command, run_replay
from tests.replay_cli import table_snapshot as tables

ORDERS = 300

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def settings(kafka_bootstrap: str, redis_url: str, unique_prefix: str) -> Iterator[Settings]:
    made = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        topic_prefix=unique_prefix,
        redis_namespace=unique_prefix,
        replay_batch=100,
        replay_grace_s=0,
    )
    ensure_topics(made)
    yield made
    asyncio.run(delete_keys(made))


def produce(settings: Settings, records: list[tuple[str, bytes, int | None]]) -> None:
    """(key, value, timestamp in ms or None) onto the order log, acknowledged."""
    producer = Producer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "partitioner": LIBRDKAFKA_PARTITIONER,
    })  # fmt: skip
    topic = Topics.from_settings(settings).order_events.name
    for key, value, at_ms in records:
        producer.produce(topic, value, encode_key(key), timestamp=at_ms or 0)
    assert producer.flush(30) == 0


def test_a_stopped_build_resumes_to_the_full_table(settings: Settings) -> None:
    publish(settings, ORDERS)
    produce(settings, [("poison-1", b"not json", None), ("poison-2", b'{"type": "Nope"}', None)])

    full = run_replay(settings, "--into", "full")
    assert full.returncode == 0, explain(full)
    assert "2 undecodable" in full.stdout
    stopped = run_replay(settings, "--into", "part", "--stop-after-batches", "2")
    assert stopped.returncode == 130, explain(stopped)
    assert "resume" in stopped.stderr
    listed = run_replay(settings, "list")
    assert "part  into  building" in listed.stdout, explain(listed)
    resumed = run_replay(settings, "--into", "part")
    assert resumed.returncode == 0, explain(resumed)

    whole, part = asyncio.run(tables(settings, "full")), asyncio.run(tables(settings, "part"))
    assert Counter(order.status for order in whole.values()) == {"COMPLETED": ORDERS}
    assert part == whole


def test_until_a_time_uses_the_brokers_timestamps(settings: Settings) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    early, late = [f"early-{n}" for n in range(20)], [f"late-{n}" for n in range(20)]
    at_ms = int(start.timestamp() * 1000)
    records = [(o, encode(e), at_ms) for o in early for e in order_events(o)]
    records += [(o, encode(e), at_ms + 60_000) for o in late for e in order_events(o)[:2]]
    produce(settings, records)

    cut = (start + timedelta(seconds=30)).isoformat()
    done = run_replay(settings, "--until", cut, "--into", "then")
    assert done.returncode == 0, explain(done)
    everything = run_replay(settings, "--until", "2999-01-01T00:00:00Z", "--into", "all")
    assert everything.returncode == 0, explain(everything)

    then = asyncio.run(tables(settings, "then"))
    assert sorted(then) == sorted(early)
    assert {order.status for order in then.values()} == {"COMPLETED"}
    later = asyncio.run(tables(settings, "all"))
    assert Counter(o.status for o in later.values()) == {"COMPLETED": 20, "VALIDATED": 20}


def test_ctrl_c_leaves_a_resumable_build_and_no_freeze(settings: Settings) -> None:
    publish(settings, 2000)
    # Small batches, so the build has many steps to be interrupted between.
    slow = settings.model_copy(update={"replay_batch": 2})
    command, env = replay_command(slow)
    child = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        interrupt_mid_build(child, settings, within=60)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, f"{out}\n{err[-2000:]}"
    ns = settings.redis_namespace
    assert asyncio.run(redis_get(settings, f"{ns}:status-freeze")) is None
    assert asyncio.run(redis_get(settings, f"{ns}:status-table")) is None  # not switched

    resumed = run_replay(settings)
    assert resumed.returncode == 0, explain(resumed)
    assert "resuming" in resumed.stderr
    live = asyncio.run(tables(settings))
    assert Counter(order.status for order in live.values()) == {"COMPLETED": 2000}
    assert asyncio.run(redis_get(settings, f"{ns}:status-table")) is not None


def interrupt_mid_build(child: "subprocess.Popen[str]", settings: Settings, within: float) -> None:
    """SIGINT the replay once it has written records but long before it ends, however fast or
    loaded the machine. It starts unhindered (imports, Kafka) until its build record exists,
    then runs in slices of SLICE_S (SIGSTOP/SIGCONT) until it has progress, gets the SIGINT
    while stopped, and is let go. (Waiting for progress and then signalling raced: a loaded CI
    machine once finished the whole build in between. Slicing from the start starved the
    start-up on a machine at load 20: no progress within 60 s.)"""
    deadline = time.monotonic() + within
    while not build_started(settings):
        assert child.poll() is None, "the replay ended before it started a build"
        assert time.monotonic() < deadline, f"no replay build started within {within}s"
        time.sleep(0.01)  # a poll interval, bounded by the deadline
    child.send_signal(signal.SIGSTOP)
    try:
        while not asyncio.run(build_progressed(settings)):
            assert child.poll() is None, "the replay ended before it wrote any progress"
            assert time.monotonic() < deadline, f"no replay progress within {within}s"
            child.send_signal(signal.SIGCONT)
            time.sleep(SLICE_S)  # a time slice for the child, not a wait for a condition
            child.send_signal(signal.SIGSTOP)
        child.send_signal(signal.SIGINT)
    finally:
        child.send_signal(signal.SIGCONT)


def build_started(settings: Settings) -> bool:
    """Whether some build has its record (`{ns}:replay:NAME`), written before any events."""
    with SyncRedis.from_url(settings.redis_url) as client:
        return next(client.scan_iter(f"{settings.redis_namespace}:replay:*"), None) is not None


SLICE_S = 0.05


async def build_progressed(settings: Settings) -> bool:
    """Whether some build has written records."""
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        async for key in client.scan_iter(f"{settings.redis_namespace}:replay:*"):
            if int(await client.hget(key, "events") or 0) > 0:
                return True
        return False
    finally:
        await client.aclose()


async def redis_get(settings: Settings, key: str) -> str | None:
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        value: str | None = await client.get(key)
        return value
    finally:
        await client.aclose()
