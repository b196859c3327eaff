"""How the contract's topics are replicated right now: copies, in-sync copies and leaders per
partition, and the topic's min.insync.replicas, read from the cluster (Kafka adapter).

Shown by `orderflow topics`; blocking, so call it off the event loop."""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource  # not re-exported for type checkers
from confluent_kafka.admin._resource import ResourceType

from orders.contracts.topics import TopicSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicReplication:
    name: str
    partitions: int
    replication_factor: int  # copies of the partition with the fewest
    min_insync_replicas: int | None  # the topic's (or the broker's default); None: not read
    smallest_isr: int  # in-sync copies of the partition with the fewest
    under_replicated: int  # partitions with fewer copies in sync than they have
    offline: int  # partitions without a leader: neither readable nor writable
    leaders: dict[int, int]  # partitions led, by broker id

    def line(self) -> str:
        leaders = ",".join(f"{broker}:{n}" for broker, n in sorted(self.leaders.items()))
        min_isr = "?" if self.min_insync_replicas is None else str(self.min_insync_replicas)
        return (
            f"replicas={self.replication_factor}\tmin.insync.replicas={min_isr}\t"
            f"isr>={self.smallest_isr}\tunder-replicated={self.under_replicated}\t"
            f"offline={self.offline}\tleaders={leaders or '-'}"
        )


def describe_replication(
    bootstrap_servers: str, specs: Sequence[TopicSpec], timeout: float = 10.0
) -> list[TopicReplication]:
    """The replication of each listed topic that exists (missing ones are left out)."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap_servers, "logger": log}
    admin = AdminClient(config)
    topics = admin.list_topics(timeout=timeout).topics
    names = [spec.name for spec in specs if spec.name in topics]
    min_isr, unknown = _min_insync(admin, names, timeout)
    described = []
    for name in names:
        if name in unknown:  # just created: the broker asked has not learnt of it yet
            continue
        partitions = list(topics[name].partitions.values())
        described.append(
            TopicReplication(
                name=name,
                partitions=len(partitions),
                replication_factor=min((len(p.replicas) for p in partitions), default=0),
                min_insync_replicas=min_isr.get(name),
                smallest_isr=min((len(p.isrs) for p in partitions), default=0),
                under_replicated=sum(len(p.isrs) < len(p.replicas) for p in partitions),
                offline=sum(p.leader < 0 for p in partitions),
                leaders=dict(Counter(p.leader for p in partitions if p.leader >= 0)),
            )
        )
    return described


def _min_insync(
    admin: AdminClient, names: Sequence[str], timeout: float
) -> tuple[dict[str, int], set[str]]:
    """Each topic's min.insync.replicas, and the topics the broker asked does not know yet (a
    topic's metadata reaches each broker of a cluster in its own time)."""
    if not names:
        return {}, set()
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
    found, unknown = {}, set()
    for resource, future in admin.describe_configs(resources, request_timeout=timeout).items():
        try:
            configs = future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
            unknown.add(resource.name)
            continue
        entry = configs.get("min.insync.replicas")
        if entry is not None and entry.value is not None:
            found[resource.name] = int(entry.value)
    return found, unknown
