"""The local stack: Kafka and Redis (unless the settings name servers), the front door,
N workers and the status API, each a child process. Used by `dev`, `demo` and e2e tests."""

import asyncio
import functools
import logging
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError

from pydantic import SecretStr

from orderflow.infra.kafka import LocalKafka, ensure_kafka_libs
from orderflow.infra.kafka_cluster import LocalKafkaCluster, replication_for
from orderflow.infra.ports import accepts_connections, free_port
from orderflow.infra.process import ChildProcess, InfraError, LocalServer, Stopped
from orderflow.infra.redis import LocalRedis
from orders.contracts.admin import ensure_topics
from orders.contracts.group import GroupDescriber, GroupView
from orders.errors import KafkaUnavailable
from orders.settings import Settings

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings (secrets in clear: the child
    needs them; an unset optional setting stays unset)."""
    env = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            env[f"ORDERFLOW_{name.upper()}"] = str(value)
    return env


def _port(preferred: int, fixed: bool) -> int:
    return preferred if fixed and not accepts_connections(preferred) else free_port()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def _worker_ready(metrics_url: str) -> bool:
    """True when the worker's metrics say it holds its partitions with its tables recovered."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=1) as response:
            text = response.read().decode()
    except (URLError, OSError):
        return False
    return "\norderflow_worker_ready 1.0" in f"\n{text}"


class PortTaken(InfraError):
    """A port the stack's HTTP servers need is taken by another process."""


@dataclass
class LocalStack:
    settings: Settings
    workers: int = 2
    log_dir: Path = REPO_ROOT / ".cache" / "logs"
    # Kafka and Redis take DEV_KAFKA_PORT and DEV_REDIS_PORT (9092, 6379) when those are free
    # (dev, demo). Tests that stop a server pass False: a random port, which no other stack
    # grabs while the server is down.
    fixed_ports: bool = True
    # Kafka nodes to start: 1 (one broker), or a cluster of combined broker+controller nodes
    # whose topics get min(3, brokers) replicas unless the settings say otherwise.
    brokers: int = 1
    kafka: LocalKafka | None = None
    kafka_cluster: LocalKafkaCluster | None = None
    redis: LocalRedis | None = None
    processes: dict[str, ChildProcess] = field(default_factory=dict)
    worker_metrics_urls: dict[str, str] = field(default_factory=dict)  # by worker name
    # How the front door, status API and workers run: `python -m orderflow.cli ...` in `cwd`.
    # Another checkout's `.venv/bin/python` and directory run that checkout's code (bench --root).
    python: str = sys.executable
    cwd: Path = REPO_ROOT

    @property
    def producer_url(self) -> str:
        return f"http://{self.settings.producer_host}:{self.settings.producer_port}"

    @property
    def status_url(self) -> str:
        return f"http://{self.settings.status_api_host}:{self.settings.status_api_port}"

    def start(self, timeout: float = 120) -> None:
        self.check_http_ports()
        self.start_servers(timeout)
        ensure_topics(self.settings)
        for name in self._process_names():
            self.start_process(name)
        self.wait_ready(timeout)

    def check_http_ports(self) -> None:
        """Raise PortTaken when the front door's or the status API's port already answers: our
        server could not bind it, and its readiness probe would pass on the stranger's."""
        ports = {
            "front door": self.settings.producer_port,
            "status API": self.settings.status_api_port,
        }
        taken = [f"{name} port {port}" for name, port in ports.items() if accepts_connections(port)]
        if taken:
            raise PortTaken(
                f"{' and '.join(taken)} already in use (another orderflow stack: dev, demo or "
                "bench --local?). Stop it, or give this one other ports with "
                "ORDERFLOW_PRODUCER_PORT and ORDERFLOW_STATUS_API_PORT"
            )

    def start_servers(self, timeout: float) -> None:
        """Start Kafka and Redis unless the settings were given their addresses."""
        given = self.settings.model_fields_set
        updates: dict[str, object] = {}
        if "kafka_bootstrap_servers" not in given and self.brokers > 1:
            updates.update(self._start_cluster(timeout))
        elif "kafka_bootstrap_servers" not in given:
            libs = ensure_kafka_libs(REPO_ROOT)
            self.kafka = LocalKafka(
                libs,
                port=_port(self.settings.dev_kafka_port, self.fixed_ports),
                log_file=self.log_dir / "kafka.log",
            )
            self.kafka.start(timeout)
            updates["kafka_bootstrap_servers"] = self.kafka.bootstrap_servers
        if "redis_url" not in given:
            self.redis = LocalRedis(
                port=_port(self.settings.dev_redis_port, self.fixed_ports),
                log_file=self.log_dir / "redis.log",
            )
            self.redis.start()
            updates["redis_url"] = self.redis.url
        self.settings = self.settings.model_copy(update=updates)

    def _start_cluster(self, timeout: float) -> dict[str, object]:
        """Start `brokers` Kafka nodes (on dev_kafka_port, +1, +2... when free); the settings
        that point at them and, unless set, replicate over them."""
        first = self.settings.dev_kafka_port
        ports = [_port(first + i, self.fixed_ports) for i in range(self.brokers)]
        self.kafka_cluster = LocalKafkaCluster(
            ensure_kafka_libs(REPO_ROOT), self.brokers, ports=ports, log_dir=self.log_dir
        )
        self.kafka_cluster.start(timeout)
        updates: dict[str, object] = {
            "kafka_bootstrap_servers": self.kafka_cluster.bootstrap_servers
        }
        if "replication_factor" not in self.settings.model_fields_set:
            updates["replication_factor"] = replication_for(self.brokers)[0]
        return updates

    def _process_names(self) -> list[str]:
        return ["producer", "status-api", *(f"worker-{i}" for i in range(1, self.workers + 1))]

    def start_process(self, name: str) -> None:
        """Start (or start again) one of the stack's processes by name."""
        command, extra_env = self._command(name)
        process = ChildProcess(name, self.log_dir / f"{name}.log")
        env = {**_base_env(), **settings_env(self.settings), **extra_env}
        process.spawn([self.python, "-m", "orderflow.cli", *command], self.cwd, env=env)
        self.processes[name] = process

    def pids(self) -> dict[str, int]:
        """The process id of each running server and process, by name ("kafka", "redis",
        "producer", "status-api", "worker-1"...; a cluster's nodes are "kafka-1"...)."""
        servers: dict[str, LocalServer | None] = {"kafka": self.kafka, "redis": self.redis}
        if self.kafka_cluster is not None:
            servers.update((f"kafka-{n.node_id}", n) for n in self.kafka_cluster.nodes)
        pids = {name: server.pid for name, server in servers.items() if server is not None}
        pids.update((name, process.pid) for name, process in self.processes.items())
        return {name: pid for name, pid in pids.items() if pid is not None}

    def _command(self, name: str) -> tuple[list[str], dict[str, str]]:
        if name.startswith("worker-"):
            port = free_port()
            self.worker_metrics_urls[name] = f"http://127.0.0.1:{port}/metrics"
            env = {
                "ORDERFLOW_WORKER_WEB_PORT": str(free_port()),
                "ORDERFLOW_WORKER_METRICS_PORT": str(port),
            }
            return ["worker", "--name", name], env
        return [name], {}

    def restart_workers(self, timeout: float = 120) -> None:
        """Stop every worker, then start them again: their tables recover from the changelogs."""
        names = [name for name in self._process_names() if name.startswith("worker-")]
        for name in names:
            self.processes.pop(name).stop(timeout=30)
        for name in names:
            self.start_process(name)
        self.wait_ready(timeout)

    def restart_worker(self, name: str, grace_s: float = 30) -> Stopped:
        """One step of a rolling deploy: stop one worker (SIGTERM, SIGKILL after `grace_s`) and
        start it again at once. Does not wait for it (`wait_worker_ready`) or for the group."""
        stopped = self.processes.pop(name).stop(timeout=grace_s)
        self.start_process(name)
        return stopped

    def wait_worker_ready(self, name: str, timeout: float) -> None:
        """Block until the worker's metrics say it holds its partitions with its tables
        recovered; kill it and raise ServerStartError if it dies or time runs out."""
        ready = functools.partial(_worker_ready, self.worker_metrics_urls[name])
        self.processes[name].wait_ready(ready, timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for name, url in (("producer", self.producer_url), ("status-api", self.status_url)):
            probe = functools.partial(http_ok, f"{url}/readyz")
            self.processes[name].wait_ready(probe, max(1.0, deadline - time.monotonic()))
        worker = self.processes.get("worker-1")
        if worker is not None:
            worker.wait_ready(self._group_stable, max(1.0, deadline - time.monotonic()))
        for name in self.worker_metrics_urls:  # tables recovered, not rebalancing
            if name in self.processes and self.processes[name].running:
                self.wait_worker_ready(name, max(1.0, deadline - time.monotonic()))

    def _group_stable(self) -> bool:
        """True when the workers' consumer group is Stable with every worker in it. Asked with
        aiokafka's admin client (confluent's AdminClient aborts the process when the broker
        goes away mid-request), on a thread of its own, so a caller's event loop is no matter."""
        describer = GroupDescriber(
            self.settings.kafka_bootstrap_servers, self.settings.worker_group
        )

        async def describe() -> GroupView:
            try:
                return await describer.describe()
            finally:
                await describer.close()

        with ThreadPoolExecutor(1) as pool:
            try:
                group = pool.submit(asyncio.run, describe()).result()
            except KafkaUnavailable:  # no group yet, or the coordinator is loading
                return False
        return group.state == "Stable" and len(group.members) >= self.workers

    def stop(self) -> None:
        # Front door first: it flushes what it accepted while workers still run. Then the
        # rest, including processes started later by name (an extra worker, say).
        for name in [*self._process_names(), *self.processes]:
            if name in self.processes:
                self.processes.pop(name).stop(timeout=30)
        for server in (self.redis, self.kafka, self.kafka_cluster):
            if server is not None:
                server.close()

    def __enter__(self) -> "LocalStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _base_env() -> dict[str, str]:
    # The child inherits PATH, HOME and the like; its settings come from settings_env only.
    return {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
