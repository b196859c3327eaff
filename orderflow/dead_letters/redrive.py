"""Redrive: put dead-lettered records back on their topic, once, and note it in the ledger.

Which groups to put back is decided first (`plan`, pure); `execute` then publishes each copy
(original key and value, the original's own headers plus `orderflow.redriven-from`) and, once
the broker acknowledged it, the ledger entry. A crash between the two leaves a copy without an
entry: a later redrive puts it back again, a duplicate the stages ignore (at least once).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from orderflow.dead_letters.groups import Group, RecordId
from orderflow.dead_letters.ledger import Redriven
from orderflow.records import Headers
from orders.contracts.dead_letters import REDRIVEN_FROM


@dataclass(frozen=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


class RecordSink(Protocol):
    def publish(self, records: Sequence[OutRecord]) -> list[RecordId | Exception]:
        """Publish all; per record, where it landed once acknowledged, or why it was not."""


@dataclass(frozen=True)
class Step:
    group: Group
    redrive: bool  # False: skipped, `reason` says why
    reason: str = ""
    previous: Redriven | None = None  # the last redrive of this record, if any
    forced: bool = False  # put back although skipped without --force


@dataclass(frozen=True)
class Done:
    step: Step
    to: RecordId | None = None  # where the copy landed (None: skipped or failed)
    error: str | None = None


def plan(
    groups: Sequence[Group],
    ledger: dict[RecordId, Redriven],
    *,
    force: bool,
    never_forced: frozenset[str] = frozenset(),
) -> list[Step]:
    """One step per group. Put back once: a record redriven before is skipped, and so is a
    copy made by an earlier redrive that failed again (else `--all` twice would put an unfixed
    record back twice). `force` overrides both, except for a redriven record of a topic in
    `never_forced`, whose records are not safe to apply twice."""
    return [_step(group, ledger.get(group.id), force, never_forced) for group in groups]


def _step(
    group: Group, previous: Redriven | None, force: bool, never_forced: frozenset[str]
) -> Step:
    if previous is None and group.redriven_from is None:
        return Step(group, True)
    if previous is None:
        if force:
            return Step(group, True, forced=True)
        reason = (
            f"a copy of {group.redriven_from} put back by an earlier redrive, and it failed "
            "again: fix the cause, then redrive it with --force"
        )
        return Step(group, False, reason)
    if not force:
        reason = f"already redriven to {previous.to} at {previous.at:%Y-%m-%d %H:%M:%S}Z"
        return Step(group, False, reason, previous)
    if group.id.topic in never_forced:
        reason = (
            f"already redriven to {previous.to}; --force is refused for {group.id.topic}: "
            "a stock command applied twice is not a no-op"
        )
        return Step(group, False, reason, previous)
    return Step(group, True, previous=previous, forced=True)


def copy_of(group: Group) -> OutRecord:
    """The record as it was, with `orderflow.redriven-from` naming the original."""
    headers = [(name, value) for name, value in group.headers if name != REDRIVEN_FROM]
    headers.append((REDRIVEN_FROM, str(group.id).encode()))
    return OutRecord(group.id.topic, group.key, group.value, headers)


def execute(
    steps: Sequence[Step], sink: RecordSink, ledger_topic: str, now: datetime | None = None
) -> list[Done]:
    """Publish the copies, then the ledger entries of those the broker acknowledged."""
    at = now or datetime.now(UTC)
    todo = [i for i, step in enumerate(steps) if step.redrive]
    published = sink.publish([copy_of(steps[i].group) for i in todo])
    landed: dict[int, RecordId | Exception] = dict(zip(todo, published, strict=True))
    entries = {
        i: Redriven(steps[i].group.id, to, at, steps[i].group.event_id, forced=steps[i].forced)
        for i, to in landed.items()
        if isinstance(to, RecordId)
    }
    notes = sink.publish(
        [OutRecord(ledger_topic, e.key(), e.value(), []) for e in entries.values()]
    )
    noted = dict(zip(entries, notes, strict=True))
    return [_done(step, landed.get(i), noted.get(i)) for i, step in enumerate(steps)]


def _done(
    step: Step, landed: RecordId | Exception | None, noted: RecordId | Exception | None
) -> Done:
    if landed is None:
        return Done(step)
    if isinstance(landed, Exception):
        return Done(step, error=f"not published: {landed}")
    if isinstance(noted, Exception):  # published, but a later redrive would not know: say so
        return Done(step, landed, error=f"published, but not noted in the ledger: {noted}")
    return Done(step, landed)
