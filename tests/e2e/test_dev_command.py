"""`orderflow dev` as a newcomer runs it: it cannot be orphaned, a second one names the first,
and the other commands reach the stack it announced.

Each `dev` here gets a state directory and ports of its own (ORDERFLOW_DEV_*), standing in for
the defaults, which other stacks on a shared machine may hold."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderflow.infra.ports import free_port
from orderflow.records import read_topic
from orderflow.stack import REPO_ROOT
from orders.contracts.codec import decode_key
from orders.contracts.topics import Topics
from orders.settings import Settings

READY_WITHIN_S = 240.0
GONE_WITHIN_S = 10.0


class Dev:
    """One `orderflow dev --workers 1` process, its output in a file."""

    def __init__(self, env: dict[str, str], out: Path) -> None:
        self.out = out
        with out.open("wb") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "orderflow.cli", "dev", "--workers", "1"],
                cwd=REPO_ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def dev_env(tmp_path: Path, unique_prefix: str) -> dict[str, str]:
    status_port = free_port()
    ours = {
        "ORDERFLOW_DEV_STATE_DIR": str(tmp_path / "state"),
        "ORDERFLOW_DEV_KAFKA_PORT": str(free_port()),
        "ORDERFLOW_DEV_REDIS_PORT": str(free_port()),
        "ORDERFLOW_PRODUCER_PORT": str(free_port()),
        "ORDERFLOW_STATUS_API_PORT": str(status_port),
        "ORDERFLOW_STATUS_API_PUBLIC_URL": f"http://127.0.0.1:{status_port}",
        "ORDERFLOW_WORKER_DATA_DIR": str(tmp_path / "faust"),
        "ORDERFLOW_TOPIC_PREFIX": unique_prefix,
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
    return {**inherited, **ours}


@pytest.fixture
def devs(tmp_path: Path) -> Iterator[list[Dev]]:
    started: list[Dev] = []
    yield started
    for dev in reversed(started):
        dev.stop()


def start(devs: list[Dev], env: dict[str, str], out: Path) -> Dev:
    dev = Dev(env, out)
    devs.append(dev)
    return dev


def wait_announced(dev: Dev, state_dir: Path) -> dict[str, object]:
    """The address file once `dev` is ready (it prints the URLs at the same moment)."""
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        assert dev.proc.poll() is None, dev.output()
        if "orderflow is ready" in dev.output():
            announced: dict[str, object] = json.loads((state_dir / "stack.json").read_text())
            return announced
        time.sleep(0.5)
    raise TimeoutError(f"dev not ready within {READY_WITHIN_S}s:\n{dev.output()}")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_second_dev_names_the_first_and_commands_reach_it(
    dev_env: dict[str, str], devs: list[Dev], tmp_path: Path, unique_prefix: str
) -> None:
    state_dir = Path(dev_env["ORDERFLOW_DEV_STATE_DIR"])
    first = start(devs, dev_env, tmp_path / "first.out")
    announced = wait_announced(first, state_dir)
    ready = first.output()
    for path in ("/orders", "/docs", "/board", "/dashboard", "/metrics"):
        assert path in ready, ready

    second = start(devs, dev_env, tmp_path / "second.out")
    assert second.proc.wait(60) != 0
    assert "already runs" in second.output()
    assert f"pid {first.proc.pid}" in second.output()

    sku = f"{unique_prefix}-DEV"
    stock = subprocess.run(
        [sys.executable, "-m", "orderflow.cli", "stock", "set", sku, "7"],
        cwd=REPO_ROOT, env=dev_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert stock.returncode == 0, stock.stderr
    assert f"pid {first.proc.pid}" in stock.stderr  # it says which stack it talks to
    where = announced["settings"]
    assert isinstance(where, dict)
    settings = Settings(
        kafka_bootstrap_servers=where["kafka_bootstrap_servers"], topic_prefix=unique_prefix
    )
    records = read_topic(settings, Topics.from_settings(settings).stock.name)
    assert sku in {decode_key(r.key) for r in records if r.key is not None}


def test_a_sigkilled_dev_leaves_nothing_running_and_the_next_starts_on_its_ports(
    dev_env: dict[str, str], devs: list[Dev], tmp_path: Path
) -> None:
    state_dir = Path(dev_env["ORDERFLOW_DEV_STATE_DIR"])
    first = start(devs, dev_env, tmp_path / "first.out")
    wait_announced(first, state_dir)
    kids = children(first.proc.pid)
    assert len(kids) >= 5  # Kafka, Redis, front door, status API, a worker

    first.proc.kill()
    first.proc.wait()
    deadline = time.monotonic() + GONE_WITHIN_S
    while any(running(kid) for kid in kids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [kid for kid in kids if running(kid)] == []

    again = start(devs, dev_env, tmp_path / "again.out")
    announced = wait_announced(again, state_dir)
    where = announced["settings"]
    assert isinstance(where, dict)
    assert where["kafka_bootstrap_servers"] == f"127.0.0.1:{dev_env['ORDERFLOW_DEV_KAFKA_PORT']}"
    assert where["redis_url"] == f"redis://127.0.0.1:{dev_env['ORDERFLOW_DEV_REDIS_PORT']}/0"
    assert "was taken by another program" not in again.output()
