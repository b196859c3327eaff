"""The dead-letter record's contract: what a stage could not process, and why, in headers.

A dead letter's key and value are the original record's bytes, unchanged, so a redrive can put
them back on their original topic as they were. Everything about the failure is in headers whose
names start with `orderflow.` (values are UTF-8). One record that several stages fail on is
dead-lettered once per stage; (topic, partition, offset) names the original record.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "orderflow."
STAGE = "orderflow.stage"  # the stage (agent) that gave up, e.g. "validation"
ERROR_CLASS = "orderflow.error.class"  # the exception's class name, e.g. "DecodeError"
ERROR_MESSAGE = "orderflow.error.message"  # its message, at most MAX_MESSAGE_CHARS characters
TOPIC = "orderflow.original.topic"
PARTITION = "orderflow.original.partition"  # decimal
OFFSET = "orderflow.original.offset"  # decimal
ATTEMPTS = "orderflow.attempts"  # how many times the stage tried (1 for an undecodable record)
FIRST_FAILED_AT = "orderflow.first-failed-at"  # ISO 8601 UTC, e.g. 2026-11-21T02:45:08.867428Z
FAILURE_HEADERS = frozenset(
    {STAGE, ERROR_CLASS, ERROR_MESSAGE, TOPIC, PARTITION, OFFSET, ATTEMPTS, FIRST_FAILED_AT}
)

# On a record that `orderflow dlq redrive` put back on its topic: "topic:partition:offset" of
# the record it is a copy of. Kept when that copy is dead-lettered again, so the trail shows.
REDRIVEN_FROM = "orderflow.redriven-from"

MAX_MESSAGE_CHARS = 500

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Failure:
    """Why and where a record was dead-lettered."""

    stage: str
    error_class: str
    error_message: str
    topic: str
    partition: int
    offset: int
    attempts: int
    first_failed_at: datetime

    def headers(self) -> Headers:
        message = self.error_message
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        at = self.first_failed_at.astimezone(UTC).isoformat(timespec="microseconds")
        values = {
            STAGE: self.stage,
            ERROR_CLASS: self.error_class,
            ERROR_MESSAGE: message,
            TOPIC: self.topic,
            PARTITION: str(self.partition),
            OFFSET: str(self.offset),
            ATTEMPTS: str(self.attempts),
            FIRST_FAILED_AT: at.replace("+00:00", "Z"),
        }
        return [(name, value.encode()) for name, value in values.items()]

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, str | bytes | None]]) -> "Failure":
        """Read a dead letter's headers (other headers are ignored). KeyError if one is missing."""
        found = {name: _text(value) for name, value in headers}
        return cls(
            stage=found[STAGE],
            error_class=found[ERROR_CLASS],
            error_message=found[ERROR_MESSAGE],
            topic=found[TOPIC],
            partition=int(found[PARTITION]),
            offset=int(found[OFFSET]),
            attempts=int(found[ATTEMPTS]),
            first_failed_at=datetime.fromisoformat(found[FIRST_FAILED_AT]),
        )


def _text(value: str | bytes | None) -> str:
    return value.decode() if isinstance(value, bytes) else value or ""


def dead_letter_headers(failure: Failure, original: Sequence[tuple[str, bytes]] = ()) -> Headers:
    """The original record's own headers (minus an earlier failure's), then ours. Other
    headers, `orderflow.redriven-from` among them, are kept."""
    kept = [(name, value) for name, value in original if name not in FAILURE_HEADERS]
    return kept + failure.headers()
