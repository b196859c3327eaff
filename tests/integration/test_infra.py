"""The test servers work: a Kafka round trip, a Redis round trip, and a Redis crash-restart;
a stopped child says how it ended."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest
import redis
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from orderflow.infra import InfraError, LocalRedis
from orderflow.infra.process import ChildProcess

DEADLINE_SECONDS = 30.0


def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions)])
    futures[topic].result(timeout=DEADLINE_SECONDS)


def _produce(bootstrap: str, topic: str, keys: list[str]) -> None:
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            errors.append(err)

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for key in keys:
        producer.produce(topic, key=key, value=f"value of {key}", on_delivery=on_delivery)
        producer.poll(0)
    assert producer.flush(DEADLINE_SECONDS) == 0, "messages still queued at the deadline"
    assert errors == []


def _consume_keys(bootstrap: str, topic: str, group: str, expected: set[str]) -> set[str]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    seen: set[str] = set()
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while not expected <= seen and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            key = msg.key()
            assert key is not None, "every test message is keyed"
            seen.add(key.decode())
    finally:
        consumer.close()
    return seen


def test_kafka_round_trip(kafka_bootstrap: str, unique_prefix: str) -> None:
    topic = f"{unique_prefix}-round-trip"
    keys = [f"{unique_prefix}-order-{n}" for n in range(3)]
    _create_topic(kafka_bootstrap, topic, partitions=3)

    _produce(kafka_bootstrap, topic, keys)

    assert _consume_keys(kafka_bootstrap, topic, f"{unique_prefix}-group", set(keys)) == set(keys)


def test_redis_round_trip(redis_url: str, unique_prefix: str) -> None:
    key = f"{unique_prefix}:status"
    with redis.Redis.from_url(redis_url) as client:
        client.set(key, "accepted", ex=60)
        assert client.get(key) == b"accepted"


def test_local_redis_comes_back_on_the_same_port_after_a_kill(tmp_path: Path) -> None:
    with LocalRedis(data_dir=tmp_path) as server, redis.Redis.from_url(server.url) as client:
        port = server.port
        server.kill()
        assert not server.running
        with pytest.raises(redis.ConnectionError):
            client.ping()

        server.restart()

        assert server.port == port
        assert client.ping()


def test_local_redis_keeps_its_data_across_a_stop_but_not_a_kill(tmp_path: Path) -> None:
    with LocalRedis(data_dir=tmp_path) as server, redis.Redis.from_url(server.url) as client:
        client.set("kept", "yes")
        server.stop()  # SIGTERM: an outage; the server saves a snapshot on the way out
        server.restart()
        assert client.get("kept") == b"yes"

        client.set("lost", "yes")
        server.kill()  # a crash: what changed since the last snapshot is gone
        server.restart()
        assert client.get("kept") == b"yes"
        assert client.get("lost") is None


def test_local_redis_names_the_setup_script_when_the_binary_is_missing(tmp_path: Path) -> None:
    server = LocalRedis(data_dir=tmp_path, executable="no-such-redis-server")
    with pytest.raises(InfraError, match=r"scripts/setup-redis\.sh"):
        server.start()


def _python_child(tmp_path: Path, code: str) -> ChildProcess:
    child = ChildProcess("child", tmp_path / "child.log")
    child.spawn([sys.executable, "-c", code], tmp_path)
    return child


def test_a_child_that_exits_on_sigterm_is_not_killed(tmp_path: Path) -> None:
    child = _python_child(tmp_path, "import time; time.sleep(60)")
    stopped = child.stop(timeout=10)
    assert not stopped.killed
    assert stopped.returncode == -signal.SIGTERM
    assert stopped.seconds < 10


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ignoring"
    code = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    child = _python_child(tmp_path, code)
    child.wait_ready(ready.exists, timeout=30)  # the handler is in place before the signal
    stopped = child.stop(timeout=0.5)
    assert stopped.killed
    assert stopped.returncode == -signal.SIGKILL
    assert stopped.seconds >= 0.5
