"""Servers run as child processes that never outlive the run that started them.

Each child gets its own process group (so a terminal Ctrl-C does not hit it twice and one
signal reaches everything it spawned) and is tracked for an `atexit` sweep, in case a caller
forgets to stop it; the sweep also removes the temporary data directories the servers made.
A parent that dies without a sweep (SIGKILL) takes its children with it (orphans.py).
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

from orderflow.infra.orphans import guarded, on_lasting_thread
from orders.errors import OrderflowError

_POLL_INTERVAL = 0.2
_LOG_TAIL_LINES = 40

_live: set[subprocess.Popen[bytes]] = set()
_temp_dirs: set[Path] = set()


class InfraError(OrderflowError):
    """A local server or its prerequisites could not be provided."""


class ServerStartError(InfraError):
    """A server process exited or did not answer in time; the message carries its log tail."""


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last lines of a log file, or a note when there is none."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def run_checked(argv: Sequence[str], *, cwd: Path, timeout: float, what: str) -> None:
    """Run a one-shot tool; raise InfraError with its output when it fails."""
    try:
        result = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfraError(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise InfraError(f"{what} failed with exit code {result.returncode}:\n{output}")


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # Once reaped, the pid may belong to someone else: never signal it then.
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):  # exited between the check and the signal
        os.killpg(proc.pid, sig)


def _sweep_at_exit() -> None:
    for proc in list(_live):
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
    _live.clear()
    for path in list(_temp_dirs):
        shutil.rmtree(path, ignore_errors=True)
    _temp_dirs.clear()


atexit.register(_sweep_at_exit)


@dataclass(frozen=True)
class Stopped:
    """How a child ended when it was stopped."""

    seconds: float  # from the SIGTERM to the exit (0 when it was not running)
    returncode: int | None  # negative: the signal that ended it; None: it never started
    killed: bool  # it outlived the grace period, and a SIGKILL ended it


class ChildProcess:
    """One long-running server process in its own process group, logging to a file."""

    def __init__(self, name: str, log_file: Path) -> None:
        self.name = name
        self.log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id while it runs (None once it exited or before it started)."""
        return self._proc.pid if self._proc is not None and self.running else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the process was reaped (negative: the signal that ended it)."""
        return self._returncode()

    def spawn(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
        if self.running:
            raise InfraError(f"{self.name} is already running")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:

            def start() -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    guarded(argv),
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=env,
                )

            proc = on_lasting_thread(start)
        self._proc = proc
        _live.add(proc)

    def wait_ready(self, probe: Callable[[], bool], timeout: float) -> None:
        """Poll `probe` until it is true; kill the child and raise if it dies or time runs out."""
        deadline = time.monotonic() + timeout
        # Liveness first: a stranger already on the port must not pass for our server.
        while self.running:
            if probe():
                return
            if time.monotonic() > deadline:
                self.kill()
                self._fail(f"did not become ready within {timeout:g}s")
            time.sleep(_POLL_INTERVAL)
        self._fail(f"exited with code {self._returncode()} while starting")

    def stop(self, timeout: float) -> Stopped:
        """SIGTERM, wait up to `timeout`, then SIGKILL; says how long it took and how it ended."""
        if self._proc is None:
            return Stopped(0.0, None, killed=False)
        signalled = time.monotonic()
        _signal_group(self._proc, signal.SIGTERM)
        killed = False
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self._proc, signal.SIGKILL)
            self._proc.wait()
            killed = True
        self._forget()
        return Stopped(time.monotonic() - signalled, self._proc.returncode, killed)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        if self._proc is None:
            return
        _signal_group(self._proc, signal.SIGKILL)
        self._proc.wait()
        self._forget()

    def _returncode(self) -> int | None:
        return None if self._proc is None else self._proc.returncode

    def _forget(self) -> None:
        if self._proc is not None:
            _live.discard(self._proc)

    def _fail(self, reason: str) -> NoReturn:
        raise ServerStartError(
            f"{self.name} {reason}; last lines of {self.log_file}:\n{log_tail(self.log_file)}"
        )


class LocalServer(abc.ABC):
    """Lifecycle shared by the local servers: stop, kill, restart, close, `with` support.

    `stop()` keeps the data directory so `restart()` finds the same state; `close()` (and
    leaving a `with` block) also removes the directory when the server created it.
    """

    def __init__(self, name: str, data_dir: Path | None, log_file: Path | None) -> None:
        self._owns_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix=f"orderflow-{name}-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._owns_data_dir:
            _temp_dirs.add(self.data_dir)
        self._child = ChildProcess(name, log_file or self.data_dir / f"{name}.log")

    @abc.abstractmethod
    def start(self, timeout: float = ...) -> None:
        """Start the server and return once it answers requests (each server has its default)."""

    @property
    def running(self) -> bool:
        return self._child.running

    @property
    def log_file(self) -> Path:
        return self._child.log_file

    @property
    def pid(self) -> int | None:
        return self._child.pid

    def stop(self, timeout: float = 30) -> None:
        self._child.stop(timeout)

    def kill(self) -> None:
        self._child.kill()

    def restart(self, timeout: float | None = None) -> None:
        """Start again on the same port and data directory (after `kill()` or `stop()`)."""
        self.stop()
        if timeout is None:
            self.start()
        else:
            self.start(timeout)

    def close(self) -> None:
        self.stop()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            _temp_dirs.discard(self.data_dir)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
