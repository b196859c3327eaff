"""A local Kafka cluster: N KRaft nodes on 127.0.0.1, each a broker and a controller voter.

Combined nodes rather than separate controllers: three JVMs instead of six on a two-core
machine, and a three-voter quorum that, like the brokers, survives the loss of any one node.
Each node has its own data directory, ports and log, and can be stopped, killed and started
on its own (the fault tests lose brokers this way).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from orderflow.infra.kafka import LocalKafka, Quorum, new_cluster_id
from orderflow.infra.ports import free_port
from orders.settings import min_isr_for

log = logging.getLogger(__name__)

# Each node's heap: with three nodes under the fault tests' load, RSS was 330-370 MB per node.
NODE_HEAP = "384m"
# How long a stopping node may take before it is killed: a node's own controlled shutdown takes
# about a second; one waiting for a controller quorum that has gone would wait until killed.
STOP_GRACE_S = 10.0
_POLL_S = 0.2
_METADATA_TIMEOUT_S = 3.0


def replication_for(brokers: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a cluster of `brokers`: three copies at
    most, and a write needs all but one of them from three up (orders.settings.min_isr_for)."""
    replication = min(3, brokers)
    return replication, min_isr_for(replication)


@dataclass(frozen=True)
class PartitionState:
    """One partition as the cluster's metadata tells it."""

    topic: str
    partition: int
    leader: int  # node id; -1 while it has none
    replicas: tuple[int, ...]
    isr: tuple[int, ...]

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)


def partition_states(
    bootstrap_servers: str, timeout: float = _METADATA_TIMEOUT_S
) -> list[PartitionState]:
    """Every partition of every topic, with its leader and in-sync replicas (blocking)."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap_servers, "logger": log}
    admin = AdminClient(config)
    topics = admin.list_topics(timeout=timeout).topics
    return [
        PartitionState(name, p.id, p.leader, tuple(p.replicas), tuple(p.isrs))
        for name, meta in sorted(topics.items())
        for p in sorted(meta.partitions.values(), key=lambda p: p.id)
    ]


class LocalKafkaCluster:
    """`size` combined broker+controller nodes sharing one cluster id; see `bootstrap_servers`."""

    def __init__(
        self,
        libs_dir: Path,
        size: int = 3,
        *,
        data_dir: Path | None = None,
        ports: Sequence[int] = (),
        heap: str = NODE_HEAP,
        log_dir: Path | None = None,
    ) -> None:
        ports = list(ports) or [free_port() for _ in range(size)]
        controllers = [free_port() for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{port}" for i, port in enumerate(controllers))
        quorum = Quorum(new_cluster_id(), voters, *replication_for(size))
        self.nodes = [
            LocalKafka(
                libs_dir,
                data_dir=None if data_dir is None else data_dir / f"node-{i + 1}",
                port=ports[i],
                heap=heap,
                log_file=None if log_dir is None else log_dir / f"kafka-{i + 1}.log",
                node_id=i + 1,
                controller_port=controllers[i],
                quorum=quorum,
            )
            for i in range(size)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def node(self, node_id: int) -> LocalKafka:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 120) -> None:
        """Launch every node, then wait for each: none answers before a quorum of them runs."""
        for node in self.nodes:
            node.launch()
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            node.wait_ready(max(1.0, deadline - time.monotonic()))

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop every node at the same time, each SIGKILLed if it outlives `grace_s`. One
        after another, the last node's controlled shutdown waited for a controller quorum that
        had already gone, until the SIGKILL 30 s later: closing a cluster took 31 s, now about
        6 s. Even together, a node sometimes waits so (once in a CI run, after a rolling
        restart of the brokers); the grace bounds it."""
        self._each(lambda node: node.stop(grace_s))

    def close(self) -> None:
        """Stop every node (see `stop`), then delete what they own."""
        self.stop()
        self._each(LocalKafka.close)  # stopped already: only the deleting is left

    def _each(self, action: Callable[[LocalKafka], None]) -> None:
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(action, self.nodes))  # re-raises the first failure

    def partitions(self) -> list[PartitionState]:
        """Every partition's leader and ISR, asked of the nodes that run."""
        return partition_states(self._running_servers())

    def wait_until(
        self, condition: Callable[[list[PartitionState]], bool], timeout: float
    ) -> list[PartitionState]:
        """Poll the metadata until `condition` holds; TimeoutError naming the last state."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                states = self.partitions()
            except KafkaException:  # no node answered this time
                states = []
            if states and condition(states):
                return states
            if time.monotonic() > deadline:
                lagging = [s for s in states if s.under_replicated][:5]
                raise TimeoutError(f"cluster condition not met in {timeout:g}s: {lagging}")
            time.sleep(_POLL_S)

    def wait_fully_replicated(self, timeout: float = 60) -> list[PartitionState]:
        """Until every partition has a leader and all its replicas in sync."""
        return self.wait_until(
            lambda states: all(s.leader >= 0 and not s.under_replicated for s in states), timeout
        )

    def _running_servers(self) -> str:
        running = [node.bootstrap_servers for node in self.nodes if node.running]
        return ",".join(running) or self.bootstrap_servers

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
