"""Reads what `orderflow dlq` needs from Kafka: the dead letters, grouped, and the ledger."""

from orderflow.dead_letters.groups import Group, RecordId, group_letters
from orderflow.dead_letters.ledger import Redriven, latest_entries, ledger_topic
from orderflow.records import read_topic
from orders.contracts.topics import Topics
from orders.settings import Settings


def load_groups(settings: Settings, timeout: float = 30.0) -> list[Group]:
    topic = Topics.from_settings(settings).dead_letters.name
    return group_letters(read_topic(settings, topic, timeout))


def load_ledger(settings: Settings, timeout: float = 30.0) -> dict[RecordId, Redriven]:
    """Empty until the first redrive creates the ledger topic."""
    try:
        records = read_topic(settings, ledger_topic(settings).name, timeout)
    except LookupError:
        return {}
    return latest_entries(records)
