"""The Kafka cluster as its metadata tells it: the brokers, and each partition's leader and
in-sync replicas. Read by the dashboard's sampler (status_api/pipeline_sampler.py)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Broker:
    node_id: int
    host: str
    port: int


@dataclass(frozen=True)
class Replicas:
    topic: str
    partition: int
    leader: int  # broker id; -1 while the partition has none (offline)
    replicas: tuple[int, ...]
    isr: tuple[int, ...]  # the replicas in sync with the leader

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)


@dataclass(frozen=True)
class ClusterView:
    brokers: tuple[Broker, ...]  # the brokers that are up, by id
    partitions: tuple[Replicas, ...]  # by topic, then partition

    @property
    def under_replicated(self) -> tuple[Replicas, ...]:
        return tuple(p for p in self.partitions if p.under_replicated)

    @property
    def offline(self) -> tuple[Replicas, ...]:
        return tuple(p for p in self.partitions if p.leader < 0)


def cluster_view(metadata: Any, topics: Iterable[str]) -> ClusterView:
    """From confluent-kafka's ClusterMetadata (`list_topics()`), for the named topics."""
    brokers = sorted(metadata.brokers.values(), key=lambda b: b.id)
    partitions = [
        Replicas(name, p.id, p.leader, tuple(p.replicas), tuple(p.isrs))
        for name in sorted(set(topics))
        if name in metadata.topics
        for p in sorted(metadata.topics[name].partitions.values(), key=lambda p: p.id)
    ]
    return ClusterView(tuple(Broker(b.id, b.host, b.port) for b in brokers), tuple(partitions))
