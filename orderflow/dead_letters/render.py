"""How `orderflow dlq` shows dead letters and redrives: a rich table for people, JSON for
scripts."""

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from orderflow.dead_letters.groups import Group, Letter, RecordId
from orderflow.dead_letters.ledger import Redriven
from orderflow.dead_letters.redrive import Done, Step
from orderflow.records import Headers

_MESSAGE_CHARS = 80


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", errors="replace") if raw is not None else None


def _failure_lines(letters: Sequence[Letter]) -> list[str]:
    """One line per distinct failure, naming every stage that failed that way (a record can
    fail in a stage and in the projection; before the order log had one reader, a poison
    record failed the same way in all six stages)."""
    stages: dict[tuple[str, str, int], list[str]] = {}
    for letter in sorted(letters, key=lambda x: x.failure.stage):
        failure = letter.failure
        how = (failure.error_class, failure.error_message, failure.attempts)
        stages.setdefault(how, []).append(failure.stage)
    lines = []
    for (error_class, message, attempts), names in stages.items():
        if len(message) > _MESSAGE_CHARS:
            message = message[: _MESSAGE_CHARS - 1] + "…"
        tries = f" ({attempts} tries)" if attempts > 1 else ""
        lines.append(f"{', '.join(names)}{tries}: {error_class}: {message}")
    return lines


def _id_cell(group: Group, redriven: Redriven | None) -> str:
    lines = [str(group.id)]
    if redriven is not None:
        lines.append(f"redriven → {redriven.to}")
    if group.redriven_from:
        lines.append(f"(a copy of {group.redriven_from})")
    return "\n".join(lines)


def groups_table(groups: Sequence[Group], ledger: dict[RecordId, Redriven]) -> Table:
    table = Table(title=f"{len(groups)} dead-lettered record(s)", show_lines=True)
    table.add_column("id", no_wrap=True)
    table.add_column("record (type, event id, key)", overflow="fold")
    table.add_column("failed in", ratio=1)
    table.add_column("first failed", no_wrap=True)
    for group in groups:
        record = [group.event_type or "(not JSON)", group.event_id, _text(group.key)]
        table.add_row(
            _id_cell(group, ledger.get(group.id)),
            "\n".join(filter(None, record)),
            "\n".join(_failure_lines(group.letters)),
            _utc(group.first_failed_at),
        )
    return table


def _headers(headers: Headers) -> dict[str, str]:
    return {name: value.decode("utf-8", errors="replace") for name, value in headers}


def _letter_dict(letter: Letter) -> dict[str, Any]:
    failure = letter.failure
    return {
        "dead_letter": str(letter.at),
        "stage": failure.stage,
        "error_class": failure.error_class,
        "error_message": failure.error_message,
        "attempts": failure.attempts,
        "first_failed_at": failure.first_failed_at.isoformat(),
        "headers": _headers(letter.headers),
    }


def group_dict(group: Group, redriven: Redriven | None) -> dict[str, Any]:
    return {
        "id": str(group.id),
        "topic": group.id.topic,
        "partition": group.id.partition,
        "offset": group.id.offset,
        "key": _text(group.key),
        "event_id": group.event_id,
        "event_type": group.event_type,
        "stages": group.stages,
        "first_failed_at": group.first_failed_at.isoformat(),
        "redriven_from": group.redriven_from,
        "redriven": _redriven_dict(redriven),
        "value": _text(group.value),
        "value_base64": base64.b64encode(group.value).decode() if group.value else None,
        "headers": _headers(group.headers),
        "letters": [_letter_dict(letter) for letter in group.letters],
    }


def _redriven_dict(redriven: Redriven | None) -> dict[str, Any] | None:
    if redriven is None:
        return None
    return {"to": str(redriven.to), "at": redriven.at.isoformat(), "forced": redriven.forced}


def _label(group: Group) -> str:
    event = " ".join(filter(None, (group.event_type or "not JSON", group.event_id)))
    return f"{group.id} ({event})"


def step_line(step: Step, *, dry_run: bool) -> str:
    if not step.redrive:
        return f"skip      {_label(step.group)}: {step.reason}"
    forced = " (forced)" if step.forced else ""
    return f"{'would put back' if dry_run else 'put back'}{forced}  {_label(step.group)}"


def done_line(done: Done) -> str:
    if done.to is None and done.error is None:
        return step_line(done.step, dry_run=False)
    if done.to is None:
        return f"FAILED    {_label(done.step.group)}: {done.error}"
    line = f"redriven  {_label(done.step.group)} -> {done.to}"
    return f"{line}  WARNING: {done.error}" if done.error else line
