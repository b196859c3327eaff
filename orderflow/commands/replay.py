"""`orderflow replay`: rebuild the status table from the order event log (README, "Replay").

Exit codes: 0 done (for --verify: the tables are identical), 1 --verify found differences,
2 an error, 130 interrupted (run the same command again to resume).
"""

import asyncio
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import click
from rich.console import Console

from orderflow.commands.context import command_settings
from orders.settings import Settings

EXIT_DIFFERENCES = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger(__name__)
_err = Console(stderr=True)

if TYPE_CHECKING:  # imported when used: they bring Kafka and Redis clients along
    from orders.replay.replay import Replayer


@asynccontextmanager
async def replayer(settings: Settings, stop_after_batches: int | None) -> AsyncIterator["Replayer"]:
    from orderflow.commands.replay_progress import RichReporter
    from orders.contracts.topics import Topics
    from orders.redis_support import redis_client
    from orders.replay.kafka_source import KafkaLogSource
    from orders.replay.redis_tables import StatusTables
    from orders.replay.redis_writer import TableWriter
    from orders.replay.replay import Replayer

    client = redis_client(settings.redis_url, timeout_s=30.0)  # big pipelines, long SCANs
    topic = Topics.from_settings(settings).order_events.name
    source = KafkaLogSource(settings.kafka_bootstrap_servers, topic)
    namespace = settings.redis_namespace
    try:
        yield Replayer(
            source, StatusTables(client, namespace), TableWriter(client, namespace),
            batch=settings.replay_batch, freeze_s=settings.replay_freeze_s,
            grace_s=settings.replay_grace_s, reporter=RichReporter(_err),
            stop_after_batches=stop_after_batches,
        )  # fmt: skip
    finally:
        await client.aclose()
        await asyncio.to_thread(source.close)


Action = Callable[["Replayer"], Awaitable[int]]


def _stop_on_ctrl_c(made: "Replayer") -> None:
    """Ctrl-C (SIGINT) cancels the command, and also asks a build to stop after the batch it is
    writing: a cancellation can be absorbed on its way (it was, now and then, by a task awaiting
    another one), and the build then went on to switch the live table after a Ctrl-C."""
    task = asyncio.current_task()

    def interrupted() -> None:
        made.stop.request("interrupted")
        if task is not None:
            task.cancel()

    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, interrupted)


def run(settings: Settings, action: Action, stop_after_batches: int | None = None) -> int:
    """Run `action` with a replayer; its exit code, whatever happens (see the module doc)."""
    from orders.replay.builder import ReplayStopped

    async def main() -> int:
        async with replayer(settings, stop_after_batches) as made:
            _stop_on_ctrl_c(made)
            return await action(made)

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, ReplayStopped, asyncio.CancelledError) as e:
        _err.print(f"interrupted{f' ({e})' if str(e) else ''}: run it again to resume")
        return EXIT_INTERRUPTED
    except Exception as e:  # the exit code must say "error", never 1 ("differences")
        log.debug("replay failed", exc_info=e)
        _err.print(f"[red]replay failed:[/red] {type(e).__name__}: {e}")
        return EXIT_ERROR


async def _switch(made: "Replayer") -> int:
    switched = await made.rebuild_and_switch()
    build = switched.build
    click.echo(
        f"live table: {build.table} ({build.events:,} events read, {build.skipped} undecodable)"
    )
    return 0


async def _into(made: "Replayer", name: str, until_text: str | None) -> int:
    from orders.replay.until import parse_until

    until = parse_until(until_text) if until_text else None
    build = await made.build_into(name, until)
    click.echo(f"built {build.table} ({build.events:,} events read, {build.skipped} undecodable)")
    click.echo(f"read it: orderflow replay show ORDER_ID --table {name}")
    click.echo(f"     or: ORDERFLOW_STATUS_API_TABLE={name} orderflow status-api")
    return 0


async def _verify(made: "Replayer", settle_s: float) -> int:
    from orders.replay.verify import verify

    differences = await verify(made, settle_s)
    for difference in differences:
        click.echo(difference.describe())
    click.echo(f"{len(differences)} orders differ" if differences else "identical")
    return EXIT_DIFFERENCES if differences else 0


@click.group(invoke_without_command=True)
@click.option("--verify", "verify_only", is_flag=True, help="Rebuild into a scratch table, "
              "print the orders whose live status differs; exit 1 when any does.")  # fmt: skip
@click.option("--until", "until_text", metavar="TIME|OFFSET",
              help="Build the table as it was then (ISO time or offset); needs --into")  # fmt: skip
@click.option("--into", "into", metavar="NAME", help="Build the table NAME; never switched to.")
@click.option("--settle", default=5.0, show_default=True, type=click.FloatRange(0),
              help="--verify: seconds a difference may take to go away (live lag).")  # fmt: skip
@click.option("--stop-after-batches", type=click.IntRange(1), hidden=True)  # for tests
@click.pass_context
def replay(
    ctx: click.Context,
    verify_only: bool,
    until_text: str | None,
    into: str | None,
    settle: float,
    stop_after_batches: int | None,
) -> None:
    """Rebuild the status table from the order event log and switch the live one to it.

    An interrupted run resumes where it stopped when run again.
    """
    if ctx.invoked_subcommand is not None:
        return
    if verify_only and (until_text or into):
        raise click.UsageError("--verify takes neither --until nor --into")
    if until_text and not into:
        raise click.UsageError("--until needs --into NAME (the live table is never rewound)")
    action: Action
    if verify_only:
        action = lambda made: _verify(made, settle)  # noqa: E731
    elif into:
        action = lambda made: _into(made, into, until_text)  # noqa: E731
    else:
        action = _switch
    ctx.exit(run(command_settings(kafka=True), action, stop_after_batches))


@replay.command("list")
def list_tables() -> None:
    """The live table and every table replay has built or is building."""

    async def show(made: "Replayer") -> int:
        click.echo(f"live table: {await made.tables.live_table()}")
        for b in await made.tables.builds():
            until = f"  until {b.until}" if b.until else ""
            click.echo(f"{b.name}  {b.mode}  {b.state}  {b.events:,} events{until}  {b.table}")
        return 0

    raise SystemExit(run(command_settings(), show))


@replay.command()
@click.argument("name")
def drop(name: str) -> None:
    """Delete the table NAME (never the live one)."""

    async def drop_it(made: "Replayer") -> int:
        click.echo(f"dropped {name} ({await made.drop(name):,} keys)")
        return 0

    raise SystemExit(run(command_settings(), drop_it))


@replay.command()
@click.argument("order_id")
@click.option("--table", metavar="NAME", help="Read the table NAME instead of the live one.")
def show(order_id: str, table: str | None) -> None:
    """Print one order as the status API would, from the live table or the table NAME."""
    from orders.status_store.redis import RedisStatusStore
    from status_api.views import order_json

    async def read() -> int:
        settings = command_settings()
        store = RedisStatusStore.from_url(settings.redis_url, settings.redis_namespace, table=table)
        try:
            view = await store.get(order_id)
        finally:
            await store.close()
        if view is None:
            click.echo(f"no order {order_id}", err=True)
            return 1
        click.echo(json.dumps(order_json(view), indent=2))
        return 0

    raise SystemExit(asyncio.run(read()))
