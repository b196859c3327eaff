"""One table being built from the log: where it stands, and how progress is reported."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol


class Mode(StrEnum):
    """What a build is for (stored with it, so an interrupted build resumes as what it was)."""

    SWITCH = "switch"  # becomes the live table once caught up
    VERIFY = "verify"  # compared with the live table, then dropped
    INTO = "into"  # a named table to inspect (`--into`), never switched to


class State(StrEnum):
    BUILDING = "building"  # reading the log; run the same command again to resume
    DONE = "done"  # built (a `--into` table)
    LIVE = "live"  # switched to: the live table


@dataclass
class Build:
    name: str
    table: str  # its key prefix
    mode: Mode
    positions: dict[int, int]  # partition -> next offset to read
    ends: dict[int, int] | None = None  # fixed end offsets (exclusive) of a `--until` build
    until: str = ""  # the `--until` it was asked for, as given
    state: State = State.BUILDING
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    events: int = 0  # records read
    skipped: int = 0  # records that did not decode (they are in the dead-letter topic)


def new_name(prefix: str = "") -> str:
    """A generation name that sorts by time: 20260131T120000Z-3fa9."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}{stamp}-{secrets.token_hex(2)}"


def lag(positions: Mapping[int, int], ends: Mapping[int, int]) -> int:
    """Records between the positions and the ends."""
    return sum(max(0, end - positions.get(p, 0)) for p, end in ends.items())


class Reporter(Protocol):
    """Where a build's progress goes (the CLI draws it with rich)."""

    def start_pass(self, label: str, lag: int) -> None:
        """A pass starts: `lag` records to read."""

    def advance(self, read: int, lag: int) -> None:
        """`read` more records were written; `lag` remain in this pass."""

    def end_pass(self) -> None: ...

    def say(self, message: str) -> None: ...


class Silent:
    """A Reporter that reports nothing."""

    def start_pass(self, label: str, lag: int) -> None:
        return None

    def advance(self, read: int, lag: int) -> None:
        return None

    def end_pass(self) -> None:
        return None

    def say(self, message: str) -> None:
        return None
