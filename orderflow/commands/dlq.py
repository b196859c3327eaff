"""`orderflow dlq`: list dead letters and redrive them (README, "Dead letters, redrive and
reprocessing")."""

import json

import click
from rich.console import Console

from orderflow.commands.context import command_settings
from orderflow.commands.errors import kafka_errors
from orderflow.dead_letters import groups as grouping
from orderflow.dead_letters import redrive as redriving
from orderflow.dead_letters.ledger import ledger_topic
from orderflow.dead_letters.publisher import KafkaRecordSink
from orderflow.dead_letters.render import done_line, group_dict, groups_table, step_line
from orderflow.dead_letters.store import load_groups, load_ledger
from orders.contracts.admin import ensure_topics
from orders.contracts.topics import Topics
from orders.settings import Settings


@click.group()
def dlq() -> None:
    """Dead letters: what the stages gave up on; list them, put them back (redrive)."""


@dlq.command("list")
@click.option("--stage", "stages", multiple=True, help="Only records this stage gave up on.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the N most recent records.")
@click.option("--pending", is_flag=True, help="Only records not redriven yet.")
@click.option("--json", "as_json", is_flag=True, help="JSON (one object per record) instead.")
def list_letters(stages: tuple[str, ...], limit: int | None, pending: bool, as_json: bool) -> None:
    """Dead-lettered records, one row per original record with every stage that failed on it.
    The id (topic:partition:offset) and the event id are what `dlq redrive` takes."""
    settings = command_settings(kafka=True)
    with kafka_errors():
        groups, ledger = load_groups(settings), load_ledger(settings)
    if pending:
        groups = [group for group in groups if group.id not in ledger]
    groups = grouping.narrow(groups, stages, limit)
    if as_json:
        click.echo(json.dumps([group_dict(g, ledger.get(g.id)) for g in groups], indent=2))
    else:
        Console(soft_wrap=False).print(groups_table(groups, ledger))


@dlq.command()
@click.option("--id", "ids", multiple=True, metavar="TOPIC:PARTITION:OFFSET",
              help="A record to put back (repeatable).")  # fmt: skip
@click.option("--event-id", "event_ids", multiple=True, help="By event id (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Every dead-lettered record.")
@click.option("--dry-run", is_flag=True, help="Only say what would be put back.")
@click.option("--force", is_flag=True, help="Put back records that were redriven before too.")
def redrive(
    ids: tuple[str, ...], event_ids: tuple[str, ...], everything: bool, dry_run: bool, force: bool
) -> None:
    """Put dead-lettered records back on their topic (original key and value, plus the header
    orderflow.redriven-from), once: records redriven before are skipped unless --force."""
    if everything == bool(ids or event_ids):
        raise click.UsageError("name what to redrive: --id/--event-id, or --all")
    settings = command_settings(kafka=True)
    with kafka_errors():
        groups, ledger = load_groups(settings), load_ledger(settings)
    try:
        chosen = grouping.select(groups, ids, event_ids, everything)
    except (ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from exc
    stock = frozenset({Topics.from_settings(settings).stock.name})
    steps = redriving.plan(chosen, ledger, force=force, never_forced=stock)
    if dry_run or not any(step.redrive for step in steps):
        for step in steps:
            click.echo(step_line(step, dry_run=True))
        return
    with kafka_errors():
        done = _execute(settings, steps)
    for outcome in done:
        click.echo(done_line(outcome))
    if any(outcome.error for outcome in done):
        raise SystemExit(1)


def _execute(settings: Settings, steps: list[redriving.Step]) -> list[redriving.Done]:
    ledger = ledger_topic(settings)
    ensure_topics(settings, extra=[ledger])
    return redriving.execute(steps, KafkaRecordSink(settings), ledger.name)
