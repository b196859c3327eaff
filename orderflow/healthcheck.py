"""The image's healthcheck: `python -m orderflow.healthcheck` asks the process the container
runs whether it is ready.

One image serves every role, so the role is read from the container's first process
(`/proc/1/cmdline`: `orderflow producer`, or `docker-init -- orderflow producer` with
`init: true`). The front door and the status API answer on /readyz (200 once Kafka, Redis and
the topics are there); a worker answers on /metrics when ORDERFLOW_WORKER_METRICS_PORT is set.
Other roles (one-shot commands, a worker without metrics) have no endpoint and count as healthy
while they run. Exit code 0: healthy, 1: not.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from orders.settings import Settings

_TIMEOUT_S = 3.0


def role_of(argv: Sequence[str]) -> str | None:
    """The orderflow subcommand in a command line, skipping launchers and global options."""
    for index, arg in enumerate(argv):
        if Path(arg).name == "orderflow":
            return next((a for a in argv[index + 1 :] if not a.startswith("-")), None)
    return None


def probe_url(role: str | None, settings: Settings) -> str | None:
    """Where a process of this role says it is ready; None when the role has no endpoint."""
    if role == "producer":
        return f"http://127.0.0.1:{settings.producer_port}/readyz"
    if role == "status-api":
        return f"http://127.0.0.1:{settings.status_api_port}/readyz"
    if role == "worker" and settings.worker_metrics_port:
        return f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
    return None


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    argv = Path("/proc/1/cmdline").read_bytes().decode(errors="replace").split("\0")
    role = role_of(argv)
    url = probe_url(role, Settings())
    if url is None:
        print(f"healthy: {role or 'this process'} has no readiness endpoint")
        return 0
    ok = healthy(url)
    print(f"{'healthy' if ok else 'unhealthy'}: {url}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
