"""The stack `orderflow dev` (or `demo`) runs: one per state directory, and how others find it.

`dev` holds an exclusive lock on `{state dir}/stack.lock` for its whole life; the kernel lets go
of it however the process ends, SIGKILL included, so a lock that can be taken means no stack
runs. Once the stack is ready `dev` writes its addresses to `{state dir}/stack.json`. The other
commands use that file when no ORDERFLOW_* server address is set and its lock is held; a second
`dev` finds the lock taken and refuses, naming the stack that runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from orderflow.infra import InfraError
from orders.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = "stack.lock"
ADDRESS_FILE = "stack.json"
_TAKE_ATTEMPTS = 5
_TAKE_PAUSE_S = 0.1

# Set explicitly, either one means "that stack, not the local one": the file is not read.
SERVER_FIELDS = ("kafka_bootstrap_servers", "redis_url")
# What a command needs to talk to the stack: where its servers are and how it names things.
WHERE_FIELDS = (
    *SERVER_FIELDS,
    "producer_host",
    "producer_port",
    "status_api_host",
    "status_api_port",
    "status_api_public_url",
    "topic_prefix",
    "redis_namespace",
    "worker_group",
)


class StackAlreadyRunning(InfraError):
    """Another `orderflow dev` (or `demo`) holds this state directory's stack."""


def state_dir(settings: Settings) -> Path:
    return Path(settings.dev_state_dir) if settings.dev_state_dir else REPO_ROOT / ".cache"


@dataclass(frozen=True)
class RunningStack:
    """What `dev` writes once ready: its pid, when it started, its settings and URLs."""

    pid: int
    started_at: str
    settings: dict[str, Any]
    urls: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        s = self.settings
        return (
            f"the stack of `orderflow dev` (pid {self.pid}, started {self.started_at}): "
            f"Kafka {s['kafka_bootstrap_servers']}, Redis {s['redis_url']}, "
            f"front door http://{s['producer_host']}:{s['producer_port']}, "
            f"status API {s['status_api_public_url']}"
        )

    @classmethod
    def of(cls, settings: Settings, urls: dict[str, str]) -> RunningStack:
        where = {name: getattr(settings, name) for name in WHERE_FIELDS}
        started = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(pid=os.getpid(), started_at=started, settings=where, urls=urls)


class StackLock:
    """Held by `dev` from before it starts anything until everything stopped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock: IO[str] | None = None

    def acquire(self) -> None:
        """Raises StackAlreadyRunning, naming the running stack."""
        self.directory.mkdir(parents=True, exist_ok=True)
        lock = (self.directory / LOCK_FILE).open("a")
        if not _take(lock):
            lock.close()
            raise StackAlreadyRunning(_already_running(self.directory))
        self._lock = lock
        _address_file(self.directory).unlink(missing_ok=True)  # left by a killed `dev`

    def announce(self, stack: RunningStack) -> Path:
        """Write the address file (atomically: readers never see half of it)."""
        path = _address_file(self.directory)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(stack), indent=2) + "\n")
        partial.replace(path)
        return path

    def release(self) -> None:
        if self._lock is None:
            return
        _address_file(self.directory).unlink(missing_ok=True)
        self._lock.close()  # closing the file lets go of the lock
        self._lock = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_stack(directory: Path) -> RunningStack | None:
    """The stack a live `dev` announced in `directory`, or None."""
    if not _locked(directory):
        return None
    try:
        data = json.loads(_address_file(directory).read_text())
        return RunningStack(**data)
    except (OSError, ValueError, TypeError):  # still starting, or a file from elsewhere
        return None


def settings_for_commands(settings: Settings) -> tuple[Settings, RunningStack | None]:
    """`settings` pointed at the running local stack, unless a server address was set; the
    stack found, if any. Settings set explicitly always win."""
    if any(name in settings.model_fields_set for name in SERVER_FIELDS):
        return settings, None
    stack = running_stack(state_dir(settings))
    if stack is None:
        return settings, None
    found = {k: v for k, v in stack.settings.items() if k not in settings.model_fields_set}
    return settings.model_copy(update=found), stack


def _address_file(directory: Path) -> Path:
    return directory / ADDRESS_FILE


def _take(lock: IO[str]) -> bool:
    """The exclusive lock, retried for a moment: a command may hold it shared for an instant
    while it checks whether a stack runs."""
    for attempt in range(_TAKE_ATTEMPTS):
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if attempt + 1 < _TAKE_ATTEMPTS:
                time.sleep(_TAKE_PAUSE_S)
    return False


def _locked(directory: Path) -> bool:
    try:
        lock = (directory / LOCK_FILE).open("r")
    except OSError:
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        with contextlib.suppress(OSError):
            fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def _already_running(directory: Path) -> str:
    stack = running_stack(directory)
    running = stack.describe() if stack else "a stack of `orderflow dev` that is still starting"
    return (
        f"{running} already runs from {directory}. Use it (commands here find it), "
        "stop it with Ctrl-C in its terminal, or point ORDERFLOW_DEV_STATE_DIR elsewhere "
        "for a second stack (with its own ports)."
    )
