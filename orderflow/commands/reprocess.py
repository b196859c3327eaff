"""`orderflow reprocess`: rewind the workers' committed offsets on the topic a stage reads
(README, "Dead letters, redrive and reprocessing")."""

import json
from dataclasses import asdict, dataclass

import click
from rich.console import Console
from rich.table import Table

from orderflow.commands.context import command_settings
from orderflow.commands.errors import kafka_errors
from orderflow.reprocess.kafka import GroupActive, Offsets
from orderflow.reprocess.plan import PartitionPlan, Start, parse_start, plan
from orderflow.reprocess.stages import STAGE_TOPICS, readers, topic_read_by
from orders.contracts.topics import Topics
from orders.settings import Settings

_STOP_FIRST = (
    "stop the workers first: Kafka refuses offset changes on a consumer group with active "
    "members (a killed worker stays a member until its session times out)"
)

_FROM = "ISO 8601 time (UTC if no zone), an offset (in every partition), or earliest."


@dataclass(frozen=True)
class Report:
    topic: str
    group: str
    start: Start
    stages: list[str]  # every stage that reads the topic: all of them re-read it
    members: list[str]
    partitions: list[PartitionPlan]

    @property
    def rereads(self) -> int:
        return sum(p.reread for p in self.partitions)

    def as_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic, "group": self.group, "from": str(self.start),
            "stages": self.stages, "active_members": self.members, "rereads": self.rereads,
            "partitions": [asdict(p) for p in self.partitions],
        }  # fmt: skip

    def show(self) -> None:
        click.echo(f"{self.topic}, group {self.group}, from {self.start}")
        table = Table()
        for column in ("partition", "committed", "new", "re-read", "note"):
            table.add_column(column, justify="left" if column == "note" else "right")
        for p in self.partitions:
            committed = "-" if p.committed is None else str(p.committed)
            new = "unchanged" if p.new is None else str(p.new)
            table.add_row(str(p.partition), committed, new, str(p.reread), p.note)
        Console(soft_wrap=False).print(table)
        click.echo(f"{self.rereads} record(s) re-read by every stage that reads {self.topic}: "
                   f"{', '.join(self.stages)}")  # fmt: skip
        if self.members:
            click.echo(f"{_members(self.group, self.members)}: {_STOP_FIRST}")


@click.command()
@click.argument("stage", type=click.Choice(list(STAGE_TOPICS)))
@click.option("--from", "start_text", required=True, metavar="TIME|OFFSET|earliest", help=_FROM)
@click.option("--dry-run", is_flag=True, help="Only show the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def reprocess(stage: str, start_text: str, dry_run: bool, as_json: bool) -> None:
    """Make STAGE process its topic again from --from, by moving the workers' committed offsets
    back. All stages share one consumer group, so EVERY stage reading that topic re-reads it;
    their effects are idempotent. The workers must be stopped."""
    try:
        start = parse_start(start_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from exc
    settings = command_settings(kafka=True)
    with kafka_errors():
        offsets, report = _report(settings, stage, start)
    if report.members and not dry_run:
        raise click.ClickException(f"{_members(report.group, report.members)}: {_STOP_FIRST}")
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        report.show()
    if not dry_run:
        _rewind(offsets, report, quiet=as_json)


def _members(group: str, members: list[str]) -> str:
    return f"group {group} has {len(members)} active member(s) ({', '.join(members)})"


def _report(settings: Settings, stage: str, start: Start) -> tuple[Offsets, Report]:
    topics = Topics.from_settings(settings)
    spec = topic_read_by(stage, topics)
    offsets = Offsets(settings, spec)
    members = offsets.active_members()
    partitions = plan(offsets.states(start), start)
    report = Report(spec.name, offsets.group, start, readers(spec, topics), members, partitions)
    return offsets, report


def _rewind(offsets: Offsets, report: Report, *, quiet: bool) -> None:
    changes = {p.partition: p.new for p in report.partitions if p.new is not None}
    if changes:
        try:
            with kafka_errors():
                offsets.rewind(changes)
        except GroupActive as exc:
            raise click.ClickException(f"{exc}: {_STOP_FIRST}") from exc
    message = f"rewound: the workers re-read {report.rereads} record(s) when they start"
    click.echo(message if changes else "nothing to rewind", err=quiet)
