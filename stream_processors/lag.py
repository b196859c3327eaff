"""Consumer lag per partition: how far the group's committed offset is behind the log's end.

Each worker reports the partitions of our topics it is assigned (Faust's `assignment()`), so
summing over workers counts every partition once. Offsets come from the broker (the group's
committed offsets and the partitions' end offsets, see LagProbe), on a Faust timer; a scrape
only reads the last snapshot.
"""

import asyncio
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from orders.contracts.topics import Topics
from orders.settings import Settings

log = logging.getLogger(__name__)

REFRESH_S = 5.0
_TIMEOUT_S = 5.0

Partition = tuple[str, int]  # (topic, partition)


class ConsumerLag(Collector):
    """`orderflow_consumer_lag{topic, partition}`: the last measured snapshot."""

    def __init__(self) -> None:
        self._lag: Mapping[Partition, int] = {}

    def update(self, lag: Mapping[Partition, int]) -> None:
        self._lag = dict(lag)  # replaced whole: a scrape never sees half an update

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "orderflow_consumer_lag",
            "Records of a partition this worker owns that the group has not committed yet",
            labels=["topic", "partition"],
        )
        for (topic, partition), lag in sorted(self._lag.items()):
            family.add_metric([topic, str(partition)], lag)
        yield family


def lag_of(
    ends: Mapping[Partition, int], committed: Mapping[Partition, int]
) -> dict[Partition, int]:
    """End offset minus committed offset; a partition with nothing committed lags by its end
    offset (workers start from the earliest record, and the log is kept forever)."""
    return {tp: max(end - max(committed.get(tp, 0), 0), 0) for tp, end in ends.items()}


class LagProbe:
    """Asks the broker for the group's committed offsets and the partitions' end offsets.

    A plain confluent-kafka Consumer with the group's id that never subscribes (so it never
    joins the group): its blocking calls run in a thread. Not the AdminClient: its
    ListConsumerGroupOffsets aborts the whole process when the broker goes away mid-request
    (librdkafka issue #4605, `rd_kafka_enq_once_del_source_return: Assertion` in 2.16).
    """

    def __init__(self, settings: Settings) -> None:
        self._config = {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": settings.worker_group,
            "enable.auto.commit": False,
            "client.id": "orderflow-lag-probe",
        }
        self._consumer: Consumer | None = None  # made on first use, not at construction
        self._lock = threading.Lock()  # one call at a time; never close it while in use

    async def measure(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        tps = [TopicPartition(topic, partition) for topic, partition in sorted(partitions)]
        if not tps:
            return {}
        return await asyncio.to_thread(self._measure, tps)

    def _measure(self, tps: list[TopicPartition]) -> dict[Partition, int]:
        with self._lock:
            return self._measure_locked(tps)

    def _measure_locked(self, tps: list[TopicPartition]) -> dict[Partition, int]:
        consumer = self._ensure_consumer()
        committed = {
            (tp.topic, tp.partition): tp.offset
            for tp in consumer.committed(tps, timeout=_TIMEOUT_S)
        }
        ends = {
            (tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=_TIMEOUT_S)[1]
            for tp in tps
        }
        return lag_of(ends, committed)

    def _ensure_consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(self._config)
        return self._consumer

    def close(self) -> None:
        """Blocking (waits for a measurement in flight)."""
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None


def register(app: Any, settings: Settings, gauge: ConsumerLag) -> None:
    """A Faust timer on every worker that refreshes `gauge` every REFRESH_S."""
    probe = LagProbe(settings)
    topics = {spec.name for spec in Topics.from_settings(settings).all()}

    @app.timer(interval=REFRESH_S)  # type: ignore[untyped-decorator]
    async def refresh_consumer_lag() -> None:
        try:
            owned = [(tp.topic, tp.partition) for tp in app.consumer.assignment()]
            gauge.update(await probe.measure(tp for tp in owned if tp[0] in topics))
        except Exception as exc:  # metrics are best effort: never let them stop a worker
            log.warning("consumer lag not measured: %r", exc)

    @app.on_before_shutdown.connect  # type: ignore[untyped-decorator]
    async def _close_probe(sender: Any, **kwargs: Any) -> None:
        await asyncio.to_thread(probe.close)
