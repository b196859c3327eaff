"""Consumer lag per partition: how far the group's committed offset is behind the log's end.

Each worker reports the partitions of our topics it is assigned (Faust's `assignment()`), so
summing over workers counts every partition once. Offsets come from the broker (confluent-kafka
AdminClient: the group's committed offsets, the partitions' end offsets), on a Faust timer; a
scrape only reads the last snapshot.
"""

import asyncio
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._listoffsets import OffsetSpec  # re-exported by .admin, untyped
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
    """Asks the broker for the offsets of the given partitions (off the event loop)."""

    def __init__(self, settings: Settings) -> None:
        self._bootstrap = settings.kafka_bootstrap_servers
        self._group = settings.worker_group
        self._admin: AdminClient | None = None  # made on first use, not at construction

    async def measure(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        tps = [TopicPartition(topic, partition) for topic, partition in sorted(partitions)]
        if not tps:
            return {}
        admin = self._ensure_admin()
        request = [ConsumerGroupTopicPartitions(self._group, tps)]
        group_future = admin.list_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        end_futures = admin.list_offsets({tp: latest for tp in tps}, request_timeout=_TIMEOUT_S)
        group = await _result(group_future[self._group])
        committed = {(tp.topic, tp.partition): tp.offset for tp in group.topic_partitions}
        ends = {
            (tp.topic, tp.partition): (await _result(f)).offset for tp, f in end_futures.items()
        }
        return lag_of(ends, committed)

    def _ensure_admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self._bootstrap})
        return self._admin


async def _result(future: Any) -> Any:
    return await asyncio.wait_for(asyncio.wrap_future(future), _TIMEOUT_S + 1)


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
