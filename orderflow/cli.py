"""The `orderflow` command: run the services, the local stack, the demo and the benchmark."""

import asyncio
import logging
import signal

import click

from orderflow.commands import asyncapi as asyncapi_commands
from orderflow.commands import schema as schema_commands
from orderflow.commands import status as status_command
from orderflow.commands.bench import bench
from orderflow.commands.context import command_settings
from orderflow.commands.dlq import dlq
from orderflow.commands.replay import replay
from orderflow.commands.reprocess import reprocess
from orderflow.commands.token import token
from orders.settings import Settings

# The local stack's size, shared by `dev` and `demo`.
_WORKERS = click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 8))
_BROKERS = click.option(
    "--brokers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 5),
    help="Kafka nodes: 3 runs a replicated cluster (README: A Kafka cluster).",
)


def _settings() -> Settings:
    """The environment's settings alone (what services and the stack commands run with); other
    commands use command_settings(), which finds the stack `dev` runs."""
    return Settings()


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """orderflow: event-driven order processing on Apache Kafka."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
def producer() -> None:
    """Run the front door (POST /orders)."""
    from producer.app import serve

    serve(_settings())


@main.command("status-api")
def status_api() -> None:
    """Run the status API (GET /orders/{id})."""
    from status_api.app import serve

    serve(_settings())


@main.command()
@click.option("--name", default="worker", help="Worker name (its own data directory).")
def worker(name: str) -> None:
    """Run one stream-processing worker of the consumer group."""
    from stream_processors.worker import run_worker

    run_worker(_settings(), name)


@main.command()
def topics() -> None:
    """Create the contract's topics if missing and list them, with their replication."""
    from orders.contracts.admin import ensure_topics
    from orders.contracts.replication import describe_replication
    from orders.contracts.topics import Topics

    settings = command_settings(kafka=True)
    created = ensure_topics(settings)
    specs = Topics.from_settings(settings).all()
    replication = {
        t.name: t.line() for t in describe_replication(settings.kafka_bootstrap_servers, specs)
    }
    for spec in specs:
        mark = "created" if spec.name in created else "exists"
        click.echo(
            f"{spec.name}\tpartitions={spec.partitions}\tkey={spec.key}\t{mark}\t"
            f"{replication.get(spec.name, '')}".rstrip()
        )


@main.group()
def stock() -> None:
    """Stock levels (published as events, so they are replayable)."""


@stock.command("set")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=0))
def stock_set(sku: str, quantity: int) -> None:
    """Set the units on hand of SKU to QUANTITY."""
    from orderflow.stock import set_stock

    asyncio.run(set_stock(command_settings(kafka=True), {sku: quantity}))
    click.echo(f"{sku}: {quantity}")


@main.command()
@_WORKERS
@_BROKERS
def dev(workers: int, brokers: int) -> None:
    """Start Kafka, Redis, the front door, workers and the status API; Ctrl-C stops."""
    from orderflow.commands.dev import dev_stack, ready_message

    with dev_stack(_settings(), workers, brokers) as (stack, address_file):
        click.echo(ready_message(stack, address_file))
        click.echo("Ctrl-C stops everything")
        _wait_for_signal()


@main.command()
@_WORKERS
@_BROKERS
@click.option("--exit", "exit_after", is_flag=True, help="Stop once the samples are done.")
def demo(workers: int, brokers: int, exit_after: bool) -> None:
    """Run the stack, seed stock, send sample orders and show their statuses live."""
    from orderflow.commands.dev import dev_stack, ready_message
    from orderflow.demo import demo_token, run_samples
    from orderflow.stock import DEMO_CATALOG, set_stock

    click.echo("starting Kafka, Redis, the front door, workers and the status API...")
    with dev_stack(_settings(), workers, brokers) as (stack, address_file):
        asyncio.run(set_stock(stack.settings, DEMO_CATALOG))
        ok = asyncio.run(
            run_samples(stack.producer_url, stack.status_url, token=demo_token(stack.settings))
        )
        click.echo("every order ended as expected" if ok else "some orders did not end as expected")
        if not exit_after:
            click.echo(ready_message(stack, address_file))
            click.echo("the stack keeps running; Ctrl-C stops everything")
            _wait_for_signal()
    raise SystemExit(0 if ok else 1)


main.add_command(dlq)
main.add_command(reprocess)
main.add_command(replay)
main.add_command(status_command.status)
main.add_command(bench)
main.add_command(token)


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM; the caller's `with` block then stops the stack."""
    received: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: received.append(signum))
    while not received:
        signal.pause()
    click.echo("stopping...")


main.add_command(schema_commands.schema)
main.add_command(asyncapi_commands.asyncapi)

if __name__ == "__main__":
    main()
