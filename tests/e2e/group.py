"""The workers' consumer group as the broker sees it: members, committed offsets, lag."""

import time

from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from orders.contracts.topics import Topics
from orders.settings import Settings

Key = tuple[str, int]  # (topic, partition)


def wait_caught_up(settings: Settings, within: float = 120.0) -> None:
    """Block until the workers' group has committed every offset of the contract's topics:
    then everything sent has been processed, and the stock table holds its final state."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    partitions = contract_partitions(settings)
    deadline = time.monotonic() + within
    while True:
        lag = _lag(admin, settings.worker_group, partitions)
        if not lag:
            return
        assert time.monotonic() < deadline, f"workers still behind after {within}s: {lag}"
        time.sleep(0.5)


def caught_up(settings: Settings) -> bool:
    """True when the workers' group has committed every offset of the contract's topics."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    return not _lag(admin, settings.worker_group, contract_partitions(settings))


def wait_group_members(settings: Settings, count: int, within: float = 120.0) -> None:
    """Block until the workers' group is Stable with `count` members (a rebalance is over)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    group, deadline = settings.worker_group, time.monotonic() + within
    while True:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        if described.state == ConsumerGroupState.STABLE and len(described.members) == count:
            return
        assert time.monotonic() < deadline, f"group {described.state} with {described.members}"
        time.sleep(0.2)


def committed_offsets(
    admin: AdminClient, group: str, partitions: list[TopicPartition]
) -> dict[Key, int]:
    """The group's committed offset per partition (negative: none yet)."""
    request = ConsumerGroupTopicPartitions(group, partitions)
    listed = admin.list_consumer_group_offsets([request])[group].result(timeout=10)
    return {(tp.topic, tp.partition): tp.offset for tp in listed.topic_partitions}


def contract_partitions(settings: Settings) -> list[TopicPartition]:
    topics = Topics.from_settings(settings)
    return [TopicPartition(spec.name, p) for spec in topics.all() for p in range(spec.partitions)]


def _lag(admin: AdminClient, group: str, partitions: list[TopicPartition]) -> dict[str, int]:
    committed = committed_offsets(admin, group, partitions)
    ends = _end_offsets(admin, partitions)
    lag = {}
    for key, end in ends.items():
        behind = end - max(committed.get(key, 0), 0)
        if behind > 0:
            lag[f"{key[0]}[{key[1]}]"] = behind
    return lag


def _end_offsets(admin: AdminClient, partitions: list[TopicPartition]) -> dict[Key, int]:
    request = {tp: OffsetSpec.latest() for tp in partitions}
    futures = admin.list_offsets(request)
    return {(tp.topic, tp.partition): f.result(timeout=10).offset for tp, f in futures.items()}
