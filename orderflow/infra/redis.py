"""A throwaway `redis-server` on 127.0.0.1 for tests and local runs.

It writes no snapshots while it runs, but `stop()` (SIGTERM) saves one into its data directory,
so a stopped and restarted Redis has its data back (an outage); `kill()` loses what changed
since the last stop (a crash).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from orderflow.infra.ports import free_port
from orderflow.infra.process import InfraError, LocalServer

_PROBE_TIMEOUT = 0.5


class LocalRedis(LocalServer):
    """`redis-server` as a child process; see `url`."""

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        log_file: Path | None = None,
        executable: str = "redis-server",
    ) -> None:
        super().__init__("redis", data_dir, log_file)
        self.port = free_port() if port is None else port
        self.executable = executable

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> None:
        self._child.spawn(self._argv(), cwd=self.data_dir)
        self._child.wait_ready(self._answers_ping, timeout)

    def _argv(self) -> list[str]:
        executable = shutil.which(self.executable)
        if executable is None:
            raise InfraError(
                f"{self.executable!r} is not on PATH; run scripts/setup-redis.sh to install it"
            )
        return [
            executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--shutdown-on-sigterm",
            "save",
            "--dir",
            str(self.data_dir),
        ]

    def _answers_ping(self) -> bool:
        client = redis.Redis(
            host="127.0.0.1",
            port=self.port,
            socket_connect_timeout=_PROBE_TIMEOUT,
            socket_timeout=_PROBE_TIMEOUT,
        )
        try:
            return bool(client.ping())
        except redis.RedisError:  # refused, timed out, or not a Redis yet: not ready
            return False
        finally:
            client.close()
