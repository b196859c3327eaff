"""`orderflow bench`: rounds of N orders over HTTP; orders/s, latency and CPU per process
(orderflow/bench.py measures, orderflow/bench_report.py reports). `orderflow bench replay` is
a subcommand (orderflow/commands/bench_replay.py)."""

import asyncio
import contextlib
import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from orderflow.commands.bench_replay import bench_replay
from orderflow.commands.token import token_option
from orders.settings import Settings

if TYPE_CHECKING:  # imported when the command runs: they bring aiohttp and the like
    from orderflow.bench import BenchPlan
    from orderflow.bench_report import BenchReport

SKU = "BENCH"


@dataclass(frozen=True)
class Target:
    """What to benchmark: a local stack (its workers, and whose code it runs) or a running
    stack with, optionally, the processes whose CPU to sample."""

    local: bool = False
    workers: int = 2
    root: Path | None = None
    pids: Mapping[str, int] = field(default_factory=dict)


def _pid_option(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, int]:
    from orderflow.cpu import parse_pid

    try:
        return dict(parse_pid(value) for value in values)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from None


@click.group(invoke_without_command=True)
@click.option("-n", "--orders", default=500, show_default=True, type=click.IntRange(1))
@click.option("-c", "--concurrency", default=32, show_default=True, type=click.IntRange(1))
@click.option(
    "-r",
    "--runs",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Measured rounds of N orders each, after one warm-up round.",
)
@click.option(
    "--poll",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds between the client's GET /orders/{id} while it waits for an order.",
)
@click.option(
    "--long-poll",
    is_flag=True,
    help="Wait with the status API's long-poll (?wait= and since_version) instead.",
)
@click.option("--local", is_flag=True, help="Start a local stack for the run.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 8),
    help="Workers of the local stack.",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
    help="Run the local stack's services from this checkout, with its .venv.",
)
@click.option(
    "--pid",
    "pids",
    multiple=True,
    metavar="NAME=PID",
    callback=_pid_option,
    help="Without --local: a process whose CPU to sample (repeatable).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON here.")
@token_option
@click.pass_context
def bench(
    ctx: click.Context,
    orders: int,
    concurrency: int,
    runs: int,
    poll: float,
    long_poll: bool,
    local: bool,
    workers: int,
    root: Path | None,
    pids: dict[str, int],
    json_path: Path | None,
    token: str | None,
) -> None:
    """Post N orders over HTTP per round; report orders/s, POST-to-terminal latency and, with
    --local or --pid, the CPU each process spent per order.

    `orderflow bench replay`: how fast the status table is rebuilt from the event log."""
    if ctx.invoked_subcommand is not None:
        return
    _check_options(ctx)
    from orderflow.bench import BenchPlan, WaitMode
    from orderflow.bench_report import as_dict, text_lines

    mode = WaitMode(long_poll=long_poll, poll_s=poll)
    plan = BenchPlan(orders, concurrency, runs, mode, token=token)
    report = run_bench(plan, Target(local, workers, root, pids))
    for line in text_lines(report):
        click.echo(line)
    if json_path is not None:
        json_path.write_text(json.dumps(as_dict(report), indent=2) + "\n")


bench.add_command(bench_replay)


def _check_options(ctx: click.Context) -> None:
    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) is not ParameterSource.DEFAULT

    if ctx.params["long_poll"] and given("poll"):
        raise click.UsageError("--poll and --long-poll exclude each other")
    if ctx.params["local"] and ctx.params["pids"]:
        raise click.UsageError("--pid is for a stack started elsewhere; --local samples its own")
    for name in ("workers", "root"):
        if given(name) and not ctx.params["local"]:
            raise click.UsageError(f"--{name} needs --local")


def run_bench(plan: "BenchPlan", target: Target) -> "BenchReport":
    from aiohttp import ClientConnectionError

    from orderflow.bench import run_rounds
    from orderflow.bench_report import BenchReport
    from orderflow.infra import InfraError
    from orderflow.stock import set_stock

    try:
        with _stack(target) as (settings, pids):
            asyncio.run(set_stock(settings, {SKU: plan.stock_needed}))
            producer_url = f"http://{settings.producer_host}:{settings.producer_port}"
            status_url = settings.status_api_public_url
            rounds = asyncio.run(run_rounds(producer_url, status_url, plan, SKU, pids))
    except InfraError as exc:
        raise click.ClickException(str(exc)) from None
    except ClientConnectionError as exc:  # the stack went away mid-run
        raise click.ClickException(f"lost the stack during the benchmark: {exc}") from None
    return BenchReport(plan, describe_code(target.root), rounds)


@contextlib.contextmanager
def _stack(target: Target) -> Iterator[tuple[Settings, Mapping[str, int]]]:
    """The settings to reach the stack, and the processes to sample: a local stack's own, or
    those given with --pid."""
    if not target.local:
        from orderflow.commands.context import command_settings

        yield command_settings(kafka=True), target.pids  # `orderflow dev`'s stack, if it runs
        return
    from orderflow.stack import LocalStack

    stack = LocalStack(Settings(), workers=target.workers)
    if target.root is not None:
        stack.python, stack.cwd = str(_venv_python(target.root)), target.root
    with stack:
        yield stack.settings, stack.pids()


def _venv_python(root: Path) -> Path:
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        raise click.UsageError(f"no {python}: run `uv sync` in {root} first")
    return python


def describe_code(root: Path | None) -> str:
    """Whose services ran: this checkout, or --root's path and commit."""
    if root is None:
        return "this checkout"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return f"{root} ({commit})"
    return str(root)
