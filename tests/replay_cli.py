"""`orderflow replay` run as a user runs it (a child process), and status tables read back."""

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis

from orderflow.stack import settings_env
from orders.replay.redis_tables import StatusTables
from orders.replay.snapshot import StoredOrder, snapshot
from orders.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def replay_command(settings: Settings, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `orderflow replay ARGS` with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
    env.update(settings_env(settings))
    return [sys.executable, "-m", "orderflow.cli", "replay", *args], env


def run_replay(
    settings: Settings, *args: str, timeout: float = 180.0
) -> subprocess.CompletedProcess[str]:
    command, env = replay_command(settings, *args)
    return subprocess.run(
        command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-3000:]}"


async def table_snapshot(settings: Settings, name: str | None = None) -> dict[str, StoredOrder]:
    """Every order of the live table (or of the table `name`)."""
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        tables = StatusTables(client, settings.redis_namespace)
        table = await tables.live_table() if name is None else tables.keys.table(name)
        return await snapshot(client, table)
    finally:
        await client.aclose()


async def delete_keys(settings: Settings, patterns: Sequence[str] = ("*",)) -> int:
    """Delete the namespace's keys matching `patterns` (relative to the namespace)."""
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    deleted = 0
    try:
        for pattern in patterns:
            keys = [k async for k in client.scan_iter(f"{settings.redis_namespace}:{pattern}")]
            for start in range(0, len(keys), 500):
                deleted += await client.unlink(*keys[start : start + 500])
    finally:
        await client.aclose()
    return deleted
