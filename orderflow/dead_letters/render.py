"""How `orderflow dlq` shows dead letters and redrives: a rich table for people, JSON for
scripts."""

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from orderflow.dead_letters.groups import Group, Letter, RecordId
from orderflow.dead_letters.ledger import Redriven
from orderflow.dead_letters.records import Headers
from orderflow.dead_letters.redrive import Done, Step

_MESSAGE_CHARS = 80


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", errors="replace") if raw is not None else None


def _failure_line(letter: Letter) -> str:
    failure = letter.failure
    message = failure.error_message
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1] + "…"
    tries = f" ({failure.attempts} tries)" if failure.attempts > 1 else ""
    return f"{failure.stage}{tries}: {failure.error_class}: {message}"


def groups_table(groups: Sequence[Group], ledger: dict[RecordId, Redriven]) -> Table:
    table = Table(title=f"{len(groups)} dead-lettered record(s)", show_lines=True)
    for column in ("id", "event", "key", "failed in", "first failed", "redriven"):
        table.add_column(column, overflow="fold")
    for group in groups:
        event = "\n".join(filter(None, (group.event_type, group.event_id))) or "(not JSON)"
        letters = sorted(group.letters, key=lambda letter: letter.failure.stage)
        redriven = ledger.get(group.id)
        trail = [f"→ {redriven.to}", _utc(redriven.at)] if redriven else []
        if group.redriven_from:
            trail.append(f"(copy of {group.redriven_from})")
        table.add_row(
            str(group.id), event, _text(group.key) or "",
            "\n".join(_failure_line(letter) for letter in letters),
            _utc(group.first_failed_at), "\n".join(trail),
        )  # fmt: skip
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
