"""The reprocess's Kafka side: the group's members and committed offsets, the log's offsets
(by time too), and the rewind itself. Blocking; meant for the CLI."""

import uuid
from collections.abc import Mapping

from confluent_kafka import (
    Consumer,
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from orderflow.reprocess.plan import PartitionState, Start
from orders.contracts.topics import TopicSpec
from orders.errors import OrderflowError
from orders.settings import Settings

# What the broker answers when offsets of a group with members are changed from outside.
_GROUP_BUSY = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.NON_EMPTY_GROUP,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.ILLEGAL_GENERATION,
    }
)


class GroupActive(OrderflowError):
    """The consumer group has members: Kafka refuses to change its offsets."""


class Offsets:
    """One group, one topic."""

    def __init__(self, settings: Settings, spec: TopicSpec, timeout: float = 30.0) -> None:
        self.group = settings.worker_group
        self.spec = spec
        self.timeout = timeout
        self._bootstrap = settings.kafka_bootstrap_servers
        self._admin = AdminClient({"bootstrap.servers": self._bootstrap})

    def active_members(self) -> list[str]:
        """The group's members (empty when the workers are stopped or the group is new)."""
        described = self._admin.describe_consumer_groups([self.group])[self.group]
        group = described.result(timeout=self.timeout)
        if group.state in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
            return []
        return [f"{m.client_id}@{m.host.lstrip('/')}" for m in group.members] or [str(group.state)]

    def states(self, start: Start) -> list[PartitionState]:
        """Every partition: the group's committed offset, the log's range, and (for a start
        time) the first offset at or after it."""
        committed = self._committed()
        consumer = self._consumer()
        try:
            ranges = {
                p: consumer.get_watermark_offsets(self._tp(p), timeout=self.timeout)
                for p in range(self.spec.partitions)
            }
            at_time = self._at_time(consumer, start)
        finally:
            consumer.close()
        return [
            PartitionState(p, committed.get(p), low, end, at_time.get(p))
            for p, (low, end) in ranges.items()
        ]

    def rewind(self, offsets: Mapping[int, int]) -> None:
        """Commit `offsets` for the group; GroupActive when its members are still there."""
        request = ConsumerGroupTopicPartitions(
            self.group, [self._tp(p, offset) for p, offset in sorted(offsets.items())]
        )
        future = self._admin.alter_consumer_group_offsets([request])[self.group]
        try:
            result = future.result(timeout=self.timeout)
        except KafkaException as exc:
            raise _busy_or(exc, exc.args[0] if exc.args else None) from exc
        for tp in result.topic_partitions:
            if tp.error is not None:
                raise _busy_or(KafkaException(tp.error), tp.error)

    def _committed(self) -> dict[int, int]:
        partitions = [self._tp(p) for p in range(self.spec.partitions)]
        request = ConsumerGroupTopicPartitions(self.group, partitions)
        listed = self._admin.list_consumer_group_offsets([request])[self.group]
        result = listed.result(timeout=self.timeout)
        return {tp.partition: tp.offset for tp in result.topic_partitions if tp.offset >= 0}

    def _at_time(self, consumer: Consumer, start: Start) -> dict[int, int]:
        if start.timestamp_ms is None:
            return {}
        asked = [self._tp(p, start.timestamp_ms) for p in range(self.spec.partitions)]
        found = consumer.offsets_for_times(asked, timeout=self.timeout)
        return {tp.partition: tp.offset for tp in found if tp.offset >= 0}

    def _consumer(self) -> Consumer:
        return Consumer({
            "bootstrap.servers": self._bootstrap,
            "group.id": f"orderflow-reprocess-{uuid.uuid4().hex[:8]}",  # never joined
            "enable.auto.commit": False,
        })  # fmt: skip

    def _tp(self, partition: int, offset: int | None = None) -> TopicPartition:
        if offset is None:
            return TopicPartition(self.spec.name, partition)
        return TopicPartition(self.spec.name, partition, offset)


def _busy_or(exc: KafkaException, error: object) -> Exception:
    if isinstance(error, KafkaError) and error.code() in _GROUP_BUSY:
        return GroupActive(f"Kafka refused to change the offsets: {error.str()}")
    return exc
