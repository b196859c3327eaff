"""`--until`: the point in the event log a table is built up to."""

from dataclasses import dataclass
from datetime import UTC, datetime

from orders.errors import ReplayError


@dataclass(frozen=True)
class Until:
    """Either a time (every record the broker timestamped at or before it) or an offset (every
    record at that offset or before it, in each partition: versions in the table are offsets,
    so the table holds no version above it). Exactly one is set."""

    at: datetime | None = None
    offset: int | None = None

    def __str__(self) -> str:
        return self.at.isoformat() if self.at is not None else str(self.offset)


def parse_until(text: str) -> Until:
    """An ISO-8601 time (UTC when it names no zone; 'Z' allowed) or a non-negative offset."""
    value = text.strip()
    if value.isdigit():
        return Until(offset=int(value))
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ReplayError(
            f"--until {text!r}: expected an ISO-8601 time (2026-01-31T12:00:00Z) or an offset"
        ) from None
    return Until(at=at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def offset_ends(until: Until, highs: dict[int, int]) -> dict[int, int] | None:
    """End offsets (exclusive) for an offset `until`, capped at each partition's current end;
    None for a time, which needs the broker's time index."""
    if until.offset is None:
        return None
    return {p: min(until.offset + 1, high) for p, high in highs.items()}
