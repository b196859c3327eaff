"""Helpers for the redrive and reprocess e2e tests: the CLI in-process with a stack's
settings, the order log per order, and the state that must not change."""

import asyncio
import json
import time
from typing import Any

from click.testing import CliRunner, Result

from orderflow.cli import main
from orderflow.dead_letters.groups import Group
from orderflow.dead_letters.store import load_groups
from orderflow.records import RawRecord, read_topic
from orderflow.stack import settings_env
from orders.contracts.topics import Topics
from orders.settings import Settings


def cli(settings: Settings, *args: str) -> Result:
    """`orderflow ARGS` with these settings (as the environment gives them to a process)."""
    env = {**settings_env(settings), "COLUMNS": "250"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def cli_json(settings: Settings, *args: str) -> Any:
    result = cli(settings, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def wait_dead_letters(
    settings: Settings, count: int, letters: int | None = None, within: float = 90
) -> list[Group]:
    """Until `count` records are dead-lettered (by `letters` dead letters in all, if given)."""
    deadline = time.monotonic() + within
    while True:
        groups = await asyncio.to_thread(load_groups, settings)
        found = sum(len(group.letters) for group in groups)
        if len(groups) >= count and found >= (letters or 0):
            return groups
        assert time.monotonic() < deadline, f"{len(groups)} records ({found} letters) dead"
        await asyncio.sleep(0.5)


def order_log(settings: Settings, order_id: str) -> list[tuple[RawRecord, dict[str, Any]]]:
    """The order's records on the order event log, with their values as JSON."""
    records = read_topic(settings, Topics.from_settings(settings).order_events.name)
    return [(r, json.loads(r.value or b"{}")) for r in records if r.key == order_id.encode()]


def of_type(log: list[tuple[RawRecord, dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    return [event for _, event in log if event.get("type") == kind]


def snapshot(order: dict[str, Any]) -> tuple[Any, ...]:
    """What a replayed or redriven event must leave as it was."""
    return order["status"], order["version"], order["updated_at"], order["history"]
