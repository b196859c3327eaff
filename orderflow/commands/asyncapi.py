"""`orderflow asyncapi`: the AsyncAPI document of the topics and their events."""

from pathlib import Path

import click

from orders.contracts.asyncapi import DEFAULT_PATH


@click.group()
def asyncapi() -> None:
    """The topics and their events as an AsyncAPI 3.0 document."""


@asyncapi.command()
@click.option(
    "-o",
    "--output",
    default=str(DEFAULT_PATH),
    show_default=True,
    help="Where to write it; - for standard output.",
)
@click.option(
    "--from-env",
    is_flag=True,
    help="Describe this deployment (ORDERFLOW_* partition counts) instead of the defaults "
    "that the committed document describes.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the file is out of date.")
def export(output: str, from_env: bool, check: bool) -> None:
    """Generate the document from the topic contract and the event models."""
    from orders.contracts.asyncapi import contract_defaults, document, render
    from orders.settings import Settings

    text = render(document(Settings() if from_env else contract_defaults()))
    if output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    current = path.read_text() if path.exists() else None
    if check:
        if current != text:
            raise click.ClickException(f"{path} is out of date: run `orderflow asyncapi export`")
        click.echo(f"{path} is up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    click.echo(f"wrote {path}" if current != text else f"{path} is up to date")
