"""The redrive ledger: which dead-lettered records were put back, where to, and when.

A compacted topic `{prefix}.dead-letters.redriven`, one partition, keyed by the original
record's id (`topic:partition:offset`), a small JSON object as value. It lives in Kafka next to
the records it is about, so it is as durable as the log and survives a Redis that loses its
data (the status table is a projection; this is not). Compaction keeps the latest entry per id.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from orderflow.dead_letters.groups import RecordId
from orderflow.records import RawRecord
from orders.contracts.topics import TopicSpec
from orders.settings import Settings


def ledger_topic(settings: Settings) -> TopicSpec:
    return TopicSpec(
        f"{settings.topic_prefix}.dead-letters.redriven",
        1,
        "original record id (topic:partition:offset)",
        {"cleanup.policy": "compact"},
    )


@dataclass(frozen=True)
class Redriven:
    """One redrive of one original record."""

    id: RecordId  # the dead-lettered original
    to: RecordId  # where its copy was published
    at: datetime
    event_id: str | None
    forced: bool = False

    def key(self) -> bytes:
        return str(self.id).encode()

    def value(self) -> bytes:
        return json.dumps({
            "to": str(self.to), "at": self.at.isoformat(), "event_id": self.event_id,
            "forced": self.forced,
        }).encode()  # fmt: skip

    @classmethod
    def decode(cls, key: bytes, value: bytes) -> "Redriven":
        """ValueError/KeyError for an entry that is not one of ours."""
        data = json.loads(value)
        return cls(
            id=RecordId.parse(key.decode()),
            to=RecordId.parse(data["to"]),
            at=datetime.fromisoformat(data["at"]),
            event_id=data.get("event_id"),
            forced=bool(data.get("forced", False)),
        )


def latest_entries(records: Iterable[RawRecord]) -> dict[RecordId, Redriven]:
    """The latest entry per original id, in log order; a tombstone forgets the id."""
    ledger: dict[RecordId, Redriven] = {}
    for record in records:
        if record.key is None:
            continue
        if record.value is None:
            ledger.pop(RecordId.parse(record.key.decode()), None)
            continue
        entry = Redriven.decode(record.key, record.value)
        ledger[entry.id] = entry
    return ledger
