"""Topic names, partitions, keys and configs: the one place producers and consumers agree on."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from orders.settings import Settings

# Which partition a key goes to is part of the contract: every producer must agree, or one
# order's events would spread over partitions and lose their order. Faust (aiokafka) uses
# Java's murmur2; librdkafka's default is CRC32, so confluent-kafka producers must set this.
LIBRDKAFKA_PARTITIONER = "murmur2_random"

# Keep events forever: the event log is the source of truth that the status table replays.
_KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    key: str  # which field the key is; documentation, also shown by `orderflow topics`
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Topics:
    order_events: TopicSpec  # every order event, keyed by order id: totally ordered per order
    stock: TopicSpec  # stock commands, keyed by SKU: one writer per SKU
    # Records a stage could not process, with their original key and value and the failure in
    # headers (orders/contracts/dead_letters.py); keyed like the original record.
    dead_letters: TopicSpec

    @classmethod
    def from_settings(cls, settings: Settings) -> "Topics":
        prefix = settings.topic_prefix
        return cls(
            order_events=TopicSpec(
                f"{prefix}.order-events",
                settings.order_events_partitions,
                "order_id",
                _KEEP_FOREVER,
            ),
            stock=TopicSpec(f"{prefix}.stock", settings.stock_partitions, "sku", _KEEP_FOREVER),
            dead_letters=TopicSpec(
                f"{prefix}.dead-letters",
                settings.dead_letters_partitions,
                "original key",
                _KEEP_FOREVER,
            ),
        )

    def all(self) -> tuple[TopicSpec, ...]:
        return (self.order_events, self.stock, self.dead_letters)


def replication_config(settings: Settings) -> dict[str, str]:
    """The topic config every topic orderflow creates carries (the workers' changelogs too):
    an acks=all write is refused (not acknowledged) while fewer replicas are in sync."""
    return {"min.insync.replicas": str(settings.min_isr)}
