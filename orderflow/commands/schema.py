"""`orderflow schema`: publish the event contract as JSON Schema files and check it."""

from pathlib import Path

import click

from orders.contracts.schemas import DEFAULT_DIR


@click.group()
def schema() -> None:
    """The event contract as JSON Schema files (contracts/schemas)."""


_DIR = click.option(
    "--dir",
    "root",
    default=DEFAULT_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the schema files live.",
)


@schema.command()
@_DIR
def export(root: Path) -> None:
    """Write the newest schema of every event type (never alters a published version)."""
    from orders.contracts.schemas import PublishedSchemaChanged
    from orders.contracts.schemas import export as export_schemas

    try:
        written = export_schemas(root)
    except PublishedSchemaChanged as e:
        raise click.ClickException(str(e)) from e
    for path in written:
        click.echo(f"wrote {path}")
    if not written:
        click.echo(f"{root} is up to date")


@schema.command()
@_DIR
def check(root: Path) -> None:
    """Fail when the files are stale or a version breaks compatibility with the one before."""
    from orders.contracts.evolution import contract_problems

    problems = contract_problems(root)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{root}: every event type's versions are published and compatible")
