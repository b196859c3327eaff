"""`orderflow bench replay`: the status table rebuild's events/s (orderflow/replay_bench.py)."""

import json
from dataclasses import asdict
from pathlib import Path

import click

from orders.settings import Settings


@click.command("replay")
@click.option("-n", "--orders", default=20_000, show_default=True, type=click.IntRange(1))
@click.option("-r", "--runs", default=3, show_default=True, type=click.IntRange(1))
@click.option("--batch", type=click.IntRange(1), help="Events per batch (default: REPLAY_BATCH).")
@click.option("--local", is_flag=True, help="Start Kafka and Redis for the run.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON here.")
def bench_replay(
    orders: int, runs: int, batch: int | None, local: bool, json_path: Path | None
) -> None:
    """Publish N orders x 5 events to a topic of their own; rebuild a table RUNS times and
    report the median events/s."""
    from orderflow.replay_bench import run_replay_bench
    from orderflow.stack import LocalStack

    settings = Settings()
    if batch is not None:
        settings = settings.model_copy(update={"replay_batch": batch})
    stack = LocalStack(settings, workers=0) if local else None
    if stack is not None:
        stack.start_servers(timeout=120)
        settings = stack.settings
    try:
        result = run_replay_bench(settings, orders, runs, echo=click.echo)
    finally:
        if stack is not None:
            stack.stop()
    text = json.dumps(asdict(result), indent=2)
    click.echo(text)
    if json_path is not None:
        json_path.write_text(text + "\n")
