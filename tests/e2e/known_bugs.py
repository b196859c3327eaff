"""Failures caused by known faust-streaming bugs, told apart from orderflow's own.

Under rebalances the fault tests now and then hit two bugs of faust-streaming 0.15.3 (README,
failure table):

- events dropped: around a rebalance a few events are never handled by one stage (mostly the
  status projection, the slowest, whose queue is full under load) while the group's committed
  offset moves past them. The sign: an order whose OrderPlaced lies below the committed offset
  but that no projection ever wrote (404 for good). Faust clears stream buffers on a rebalance
  and skips messages of an old generation, trusting a re-fetch from the committed offset, but
  its commit bookkeeping can pass such gaps.
- recovery hang: after a rebalance a worker waits for changelog records that never come
  ("No event received for active tp ... since recovery start") and never resumes processing.

A fault test that fails with one of these signs is marked xfail with the evidence; a failure
without them fails the test.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from orders.contracts.topics import Topics
from orders.settings import Settings
from tests.e2e.faults import Running
from tests.e2e.group import committed_offsets

RECOVERY_HANG = "No event received for active tp"


@contextmanager
def xfail_on_known_faust_bugs(
    settings: Settings, log_dir: Path, running: Running
) -> Iterator[None]:
    try:
        yield
    except AssertionError as failure:
        never_seen = [o for o in running.load.accepted if o not in running.watch.last_seen]
        reason = known_faust_bug(settings, log_dir, never_seen)
        if reason is None:
            raise
        pytest.xfail(f"{reason}; the test saw: {str(failure)[:400]}")


def known_faust_bug(settings: Settings, log_dir: Path, never_seen: list[str]) -> str | None:
    """The known bug that explains a failure, with its evidence, or None."""
    hang = _log_lines(log_dir, RECOVERY_HANG)
    if hang:
        return f"faust-streaming recovery hang after a rebalance: {hang[0]}"
    dropped = _committed_but_never_projected(settings, set(never_seen))
    if dropped:
        return (
            f"faust-streaming committed offsets past {len(dropped)} OrderPlaced events that "
            f"no projection wrote (order, partition, offset, committed): {dropped[:3]}"
        )
    return None


def _log_lines(log_dir: Path, marker: str) -> list[str]:
    return [
        f"{log.name}: {line[:240]}"
        for log in sorted(log_dir.glob("worker-*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if marker in line
    ]


def _committed_but_never_projected(
    settings: Settings, order_ids: set[str]
) -> list[tuple[str, int, int, int]]:
    if not order_ids:
        return []
    topic = Topics.from_settings(settings).order_events
    partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    committed = committed_offsets(admin, settings.worker_group, partitions)
    found = _first_offsets(settings, partitions, order_ids)
    return sorted(
        (order_id, partition, offset, committed[(topic.name, partition)])
        for order_id, (partition, offset) in found.items()
        if offset < committed.get((topic.name, partition), -1)
    )


def _first_offsets(
    settings: Settings, partitions: list[TopicPartition], order_ids: set[str]
) -> dict[str, tuple[int, int]]:
    """Where each order's first event (its OrderPlaced) is: (partition, offset)."""
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"{settings.worker_group}-diagnosis",
        "enable.auto.commit": False,
    })  # fmt: skip
    found: dict[str, tuple[int, int]] = {}
    deadline = time.monotonic() + 60
    try:
        for tp in partitions:
            _, end = consumer.get_watermark_offsets(tp, timeout=10)
            consumer.assign([TopicPartition(tp.topic, tp.partition, 0)])
            position = 0
            while position < end and time.monotonic() < deadline:
                for message in consumer.consume(num_messages=1000, timeout=1):
                    assert message.error() is None, message.error()
                    position = message.offset() + 1
                    key = (message.key() or b"").decode()
                    if key in order_ids and key not in found:
                        found[key] = (tp.partition, message.offset())
    finally:
        consumer.close()
    return found
