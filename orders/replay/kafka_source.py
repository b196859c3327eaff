"""LogSource on confluent-kafka: partitions assigned by hand, batches of `consume()`.

The consumer joins no group and commits nothing (librdkafka wants a group id anyway; it is
unique and never used): a replay's progress is kept with the table it builds, in Redis.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from orders.errors import ReplayError
from orders.replay.source import Record

_TIMEOUT_S = 10.0


class KafkaLogSource:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.topic = topic
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"orderflow-replay-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": False,
            "auto.offset.reset": "earliest",
            # Larger fetches: a replay reads the whole log as fast as it can.
            "max.partition.fetch.bytes": 8 * 1024 * 1024,
            "fetch.wait.max.ms": 100,
        })  # fmt: skip

    def _tp(self, partition: int, offset: int | None = None) -> Any:
        if offset is None:
            return TopicPartition(self.topic, partition)
        return TopicPartition(self.topic, partition, offset)

    def partitions(self) -> list[int]:
        # All topics, not list_topics(topic): asking for one topic may auto-create it.
        metadata = self._consumer.list_topics(timeout=_TIMEOUT_S).topics.get(self.topic)
        if metadata is None or metadata.error is not None:
            raise ReplayError(f"no topic {self.topic!r} on the broker")
        return sorted(metadata.partitions)

    def watermarks(self) -> dict[int, tuple[int, int]]:
        marks = {}
        for partition in self.partitions():
            low, high = self._consumer.get_watermark_offsets(
                self._tp(partition), timeout=_TIMEOUT_S, cached=False
            )
            marks[partition] = (int(low), int(high))
        return marks

    def offsets_after(self, at: datetime) -> dict[int, int]:
        after_ms = int(at.timestamp() * 1000) + 1
        asked = [self._tp(p, after_ms) for p in self.partitions()]
        found = self._consumer.offsets_for_times(asked, timeout=_TIMEOUT_S)
        highs = {p: high for p, (_, high) in self.watermarks().items()}
        # -1: no record after `at` in that partition, so all of it belongs to the table.
        return {tp.partition: tp.offset if tp.offset >= 0 else highs[tp.partition] for tp in found}

    def assign(self, positions: Mapping[int, int]) -> None:
        partitions = [self._tp(p, offset) for p, offset in positions.items()]
        self._consumer.assign(partitions)
        if partitions:
            self._consumer.resume(partitions)  # a partition paused in an earlier pass

    def pause(self, partition: int) -> None:
        self._consumer.pause([self._tp(partition)])

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        records = []
        for message in self._consumer.consume(num_messages=max_records, timeout=timeout_s):
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(error)
            partition, offset = message.partition(), message.offset()
            if partition is not None and offset is not None:  # always set on a record
                records.append(Record(partition, offset, message.value()))
        return records

    def position(self, partition: int) -> int | None:
        (tp,) = self._consumer.position([self._tp(partition)])
        return int(tp.offset) if tp.offset >= 0 else None

    def close(self) -> None:
        self._consumer.close()
