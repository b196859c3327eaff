"""Consumer lag per partition: how far the group's committed offset is behind the log's end.

Each worker reports the partitions of our topics it is assigned (Faust's `assignment()`), so
summing over workers counts every partition once. Offsets come from the broker (the group's
committed offsets and the partitions' end offsets, see LagProbe), on a Faust timer; a scrape
only reads the last snapshot.
"""

import asyncio
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from orders.contracts.offsets import GroupOffsets, Partition, lag_of
from orders.contracts.topics import Topics
from orders.settings import Settings

log = logging.getLogger(__name__)

REFRESH_S = 5.0
_TIMEOUT_S = 5.0

__all__ = ["ConsumerLag", "LagProbe", "lag_of", "register"]


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


class LagProbe:
    """Measures the lag of the group's partitions (orders/contracts/offsets.py GroupOffsets)."""

    def __init__(self, settings: Settings) -> None:
        self._offsets = GroupOffsets(
            settings.kafka_bootstrap_servers,
            settings.worker_group,
            client_id="orderflow-lag-probe",
            timeout_s=_TIMEOUT_S,
        )

    async def measure(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        return await self._offsets.lag(partitions)

    def close(self) -> None:
        """Blocking (waits for a measurement in flight)."""
        self._offsets.close()


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
