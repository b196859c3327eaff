"""Dead letters grouped by the record they are about (pure: no Kafka here).

One bad record on a topic that several stages read is dead-lettered once per stage, so the
dead letters of one original record, named by (topic, partition, offset), form one group. A
group is what a person looks at and what a redrive puts back, once.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from orderflow.records import Headers, RawRecord
from orders.contracts.dead_letters import FAILURE_HEADERS, REDRIVEN_FROM, Failure

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class RecordId:
    """Where a record is: printed and parsed as `topic:partition:offset`."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> "RecordId":
        """ValueError unless `text` is `topic:partition:offset` (topic names have no colon)."""
        topic, partition, offset = text.rsplit(":", 2) if text.count(":") == 2 else ("", "", "")
        if not topic or not partition.isdigit() or not offset.isdigit():
            raise ValueError(f"not a dead-letter id (topic:partition:offset): {text!r}")
        return cls(topic, int(partition), int(offset))


@dataclass(frozen=True)
class Letter:
    """One dead letter: what one stage said about the record, and where the letter is."""

    at: RecordId  # its place on the dead-letter topic
    failure: Failure
    headers: Headers  # all of it, as stored


@dataclass(frozen=True)
class Group:
    """Every dead letter about one original record."""

    id: RecordId  # the original record's place
    key: bytes | None
    value: bytes | None
    headers: Headers  # the original record's own headers (failure headers removed)
    letters: tuple[Letter, ...]

    @property
    def stages(self) -> list[str]:
        return sorted({letter.failure.stage for letter in self.letters})

    @property
    def first_failed_at(self) -> datetime:
        return min(letter.failure.first_failed_at for letter in self.letters)

    @property
    def event_id(self) -> str | None:
        return _field(self.value, "event_id")

    @property
    def event_type(self) -> str | None:
        return _field(self.value, "type")

    @property
    def redriven_from(self) -> str | None:
        """Set when the original record was itself a redriven copy of an earlier record."""
        found = [value for name, value in self.headers if name == REDRIVEN_FROM]
        return found[-1].decode(errors="replace") if found else None


def group_letters(records: Iterable[RawRecord]) -> list[Group]:
    """The groups, oldest first failure first. Records without our headers are skipped."""
    letters: dict[RecordId, list[tuple[RawRecord, Letter]]] = {}
    for record in records:
        try:
            failure = Failure.from_headers(record.headers)
        except (KeyError, ValueError) as exc:
            log.warning("not a dead letter at %s[%s]@%s: %r", record.topic, record.partition,
                        record.offset, exc)  # fmt: skip
            continue
        at = RecordId(record.topic, record.partition, record.offset)
        original = RecordId(failure.topic, failure.partition, failure.offset)
        letters.setdefault(original, []).append((record, Letter(at, failure, record.headers)))
    groups = [_group(original, found) for original, found in letters.items()]
    return sorted(groups, key=lambda g: (g.first_failed_at, g.id))


def _group(original: RecordId, found: list[tuple[RawRecord, Letter]]) -> Group:
    record = found[0][0]  # every letter carries the original's key, value and headers
    own = [(name, value) for name, value in record.headers if name not in FAILURE_HEADERS]
    return Group(original, record.key, record.value, own, tuple(letter for _, letter in found))


def _field(value: bytes | None, name: str) -> str | None:
    """A top-level string field of a JSON object value; None when the value is not one.
    Lenient on purpose: a schema-invalid event still shows its id."""
    if value is None:
        return None
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return None
    found = data.get(name) if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


class UnknownIds(LookupError):
    """Ids or event ids that name no dead letter."""


def select(
    groups: list[Group], ids: Iterable[str], event_ids: Iterable[str], everything: bool
) -> list[Group]:
    """The groups named by id (`topic:partition:offset`) or by event id, or all of them.
    Raises ValueError for a malformed id and UnknownIds for ids that match nothing."""
    if everything:
        return list(groups)
    wanted = {RecordId.parse(text) for text in ids}
    wanted_events = set(event_ids)
    chosen = [g for g in groups if g.id in wanted or g.event_id in wanted_events]
    unknown = sorted(str(i) for i in wanted - {g.id for g in chosen})
    unknown += sorted(wanted_events - {g.event_id for g in chosen})
    if unknown:
        raise UnknownIds(f"no dead letters for: {', '.join(unknown)}")
    return chosen


def narrow(
    groups: list[Group], stages: Iterable[str] = (), limit: int | None = None
) -> list[Group]:
    """Groups with a dead letter from one of `stages` (all when none given), at most the
    `limit` most recent, oldest first."""
    wanted = set(stages)
    kept = [g for g in groups if not wanted or wanted & set(g.stages)]
    return kept[-limit:] if limit else kept
