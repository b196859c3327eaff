"""A KRaft Apache Kafka node (broker and controller in one JVM) on 127.0.0.1: alone, or one
voter of a local cluster (orderflow/infra/kafka_cluster.py).

It runs from the official jars that `scripts/setup-kafka.sh` (or `ensure_kafka_libs`) resolves
from Maven Central, because no Kafka broker is packaged for pip or apt and Docker may be absent.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from orderflow.infra.ports import accepts_connections, free_port
from orderflow.infra.process import InfraError, LocalServer, run_checked

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOG4J_CONFIG = REPO_ROOT / "infra" / "kafka" / "log4j.properties"

_BROKER_JAR_GLOB = "kafka_2.13-*.jar"
_INITIAL_HEAP = "64m"
_MVN_TIMEOUT = 600.0
_FORMAT_TIMEOUT = 60.0
_PROBE_TIMEOUT = 2.0
# Fewer GC and JIT threads: tests share two cores with the broker.
_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:CICompilerCount=2", "-Djava.awt.headless=true")


def ensure_kafka_libs(repo_root: Path) -> Path:
    """Return `<repo_root>/.cache/kafka/libs`, copying the broker jars there first if needed."""
    libs = repo_root / ".cache" / "kafka" / "libs"
    if not _has_broker_jar(libs):
        _copy_kafka_jars(repo_root, libs)
    return libs


def _has_broker_jar(libs: Path) -> bool:
    return any(libs.glob(_BROKER_JAR_GLOB))


def _copy_kafka_jars(repo_root: Path, libs: Path) -> None:
    # Copy into a staging dir and rename, so an interrupted copy never looks complete.
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-partial-", dir=libs.parent))
    try:
        run_checked(
            ["mvn", "-q", "-B", "dependency:copy-dependencies", f"-Dkafka.libs.dir={staging}"],
            cwd=repo_root / "infra" / "kafka",
            timeout=_MVN_TIMEOUT,
            what="copying the Kafka jars with Maven (scripts/setup-kafka.sh)",
        )
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def new_cluster_id() -> str:
    """A random KRaft cluster id: a 16-byte UUID in unpadded base64url (22 characters)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # Kafka never issues ids starting with "-": the storage tool would parse them as a flag.
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass(frozen=True)
class Quorum:
    """What the nodes of one cluster share: its id, its controller voters and how many copies
    of each record it keeps (the replication defaults of its broker configs)."""

    cluster_id: str
    voters: str  # controller.quorum.voters: "1@127.0.0.1:port,2@..."
    replication: int = 1  # default and internal topics' replication factor
    min_insync: int = 1  # min.insync.replicas, for every topic without its own

    @classmethod
    def single(cls, controller_port: int) -> Quorum:
        return cls(new_cluster_id(), f"1@127.0.0.1:{controller_port}")


class LocalKafka(LocalServer):
    """Kafka 3.9 in KRaft mode as a child `java` process; see `bootstrap_servers`. Alone by
    default; given a `quorum` and `node_id`, one combined broker+controller of a cluster."""

    def __init__(
        self,
        libs_dir: Path,
        data_dir: Path | None = None,
        port: int | None = None,
        heap: str = "512m",
        log_file: Path | None = None,
        log4j_config: Path = DEFAULT_LOG4J_CONFIG,
        *,
        node_id: int = 1,
        controller_port: int | None = None,
        quorum: Quorum | None = None,
    ) -> None:
        super().__init__(f"kafka-{node_id}" if quorum else "kafka", data_dir, log_file)
        self.libs_dir = libs_dir
        self.port = free_port() if port is None else port
        self.controller_port = free_port() if controller_port is None else controller_port
        self.node_id = node_id
        self.quorum = quorum or Quorum.single(self.controller_port)
        self.heap = heap
        self.log4j_config = log4j_config

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def _config_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _log_dirs(self) -> Path:
        return self.data_dir / "kraft-logs"

    def start(self, timeout: float = 90) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Format the storage (once) and spawn the JVM, without waiting for it: the nodes of a
        cluster only answer once a majority of them runs."""
        if not _has_broker_jar(self.libs_dir):
            raise InfraError(f"no Kafka broker jar in {self.libs_dir}; run scripts/setup-kafka.sh")
        self._config_file.write_text(self._server_properties())
        if not (self._log_dirs / "meta.properties").exists():
            self._format_storage()
        self._child.spawn(self._broker_argv(), cwd=self.data_dir)

    def wait_ready(self, timeout: float) -> None:
        """Until the node answers metadata requests; kills it and raises if it cannot."""
        self._child.wait_ready(self._answers_metadata, timeout)

    def _server_properties(self) -> str:
        plain = f"PLAINTEXT://127.0.0.1:{self.port}"
        replication, min_insync = str(self.quorum.replication), str(self.quorum.min_insync)
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.quorum.voters,
            "listeners": f"{plain},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": plain,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self._log_dirs),
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": replication,
            "offsets.topic.replication.factor": replication,
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": min_insync,
            "transaction.state.log.num.partitions": "4",
            "min.insync.replicas": min_insync,
            # A replica that was not in sync never becomes leader: that would lose acked records.
            "unclean.leader.election.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "4",
            # After a SIGKILL the controller waits out the dead registration's session before it
            # lets the restarted broker in: 3 s instead of 9 s cuts such a restart from 14 s to 5 s.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _java(self, max_heap: str) -> list[str]:
        return [
            "java",
            f"-Xmx{max_heap}",
            f"-Xms{_INITIAL_HEAP}",
            *_JVM_FLAGS,
            f"-Dlog4j.configuration=file:{self.log4j_config}",
            "-cp",
            f"{self.libs_dir}/*",
        ]

    def _format_storage(self) -> None:
        run_checked(
            [
                *self._java("256m"),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self.quorum.cluster_id,
                "-c",
                str(self._config_file),
            ],
            cwd=self.data_dir,
            timeout=_FORMAT_TIMEOUT,
            what="formatting the Kafka data directory",
        )

    def _broker_argv(self) -> list[str]:
        return [*self._java(self.heap), "kafka.Kafka", str(self._config_file)]

    def _answers_metadata(self) -> bool:
        # A plain TCP check first keeps librdkafka from logging a refused connection per probe.
        if not accepts_connections(self.port):
            return False
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        try:
            admin.list_topics(timeout=_PROBE_TIMEOUT)
        except KafkaException:
            return False
        return True
