"""Which topic each stage reads. One agent reads the order log for all of its stages and one
reads the stock topic, in ONE consumer group (ORDERFLOW_WORKER_GROUP) with one committed
offset per partition: rewinding a topic rewinds every stage that reads it."""

from orders.contracts.topics import Topics, TopicSpec

# Stage names as in the dead letters' `orderflow.stage` header -> the Topics field it reads.
STAGE_TOPICS: dict[str, str] = {
    "dispatch": "order_events",  # the order log's reader: records it cannot decode
    "validation": "order_events",
    "reservation": "order_events",
    "cancellation-intake": "order_events",
    "payment": "order_events",
    "fulfilment": "order_events",
    "projection": "order_events",
    "inventory": "stock",
}


def topic_read_by(stage: str, topics: Topics) -> TopicSpec:
    """KeyError for an unknown stage."""
    spec: TopicSpec = getattr(topics, STAGE_TOPICS[stage])
    return spec


def readers(spec: TopicSpec, topics: Topics) -> list[str]:
    """Every stage that reads the topic: all of them re-read it after a rewind."""
    return [stage for stage in STAGE_TOPICS if topic_read_by(stage, topics) == spec]
