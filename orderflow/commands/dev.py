"""What `orderflow dev` and `demo` share: one stack per state directory, announced to the other
commands, and every URL a newcomer wants once it is ready."""

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from orderflow.devstack import RunningStack, StackAlreadyRunning, StackLock, state_dir
from orderflow.infra import InfraError
from orderflow.stack import LocalStack
from orders.settings import Settings


@contextmanager
def dev_stack(
    settings: Settings, workers: int, brokers: int = 1
) -> Iterator[tuple[LocalStack, Path]]:
    """The local stack, started under this state directory's lock and announced in its address
    file once ready (both let go when it stops); the stack and that file's path."""
    lock = StackLock(state_dir(settings))
    try:
        lock.acquire()
    except StackAlreadyRunning as e:
        raise click.ClickException(str(e)) from e
    try:
        with ExitStack() as running:
            local = LocalStack(settings, workers=workers, brokers=brokers)
            try:  # LocalStack stops what it started when it fails to start
                stack = running.enter_context(local)
            except InfraError as e:  # a taken port, a server that died starting: one line
                raise click.ClickException(str(e)) from e
            yield stack, lock.announce(RunningStack.of(stack.settings, stack_urls(stack)))
    finally:
        lock.release()


def stack_urls(stack: LocalStack) -> dict[str, str]:
    """Every address worth opening, by what it is."""
    front, status = stack.producer_url, stack.status_url
    return {
        "front door": f"{front}/orders",
        "front door API docs": f"{front}/docs",
        "status API": f"{status}/orders",
        "status API docs": f"{status}/docs",
        "pickup board": f"{status}/board",
        "dashboard": f"{status}/dashboard",
        "Kafka": stack.settings.kafka_bootstrap_servers,
        "Redis": stack.settings.redis_url,
    }


def ready_message(stack: LocalStack, address_file: Path) -> str:
    urls = stack_urls(stack)
    width = max(len(name) for name in urls) + 2
    lines = ["orderflow is ready:"]
    lines += [f"  {name + ':':<{width}}{url}" for name, url in urls.items()]
    lines.append(f"  {worker_metrics_line(stack.worker_metrics_urls)}")
    if stack.kafka_cluster is not None:
        s = stack.settings
        lines.append(
            f"  Kafka cluster: {len(stack.kafka_cluster.nodes)} broker+controller nodes, "
            f"replication factor {s.replication_factor}, min.insync.replicas {s.min_isr}"
        )
    lines += [f"  note: {note}" for note in busy_port_notes(stack)]
    lines.append(f"  {auth_line(stack.settings.auth_mode)}")
    lines.append(f"  logs: {stack.log_dir}")
    lines.append(f"  commands run from this checkout use this stack ({address_file})")
    return "\n".join(lines)


def auth_line(mode: str) -> str:
    """How callers authenticate (README, Security)."""
    if mode == "none":
        return "auth: OFF (ORDERFLOW_AUTH_MODE=none): anyone reaching these URLs sees every order"
    return (
        "auth: Bearer tokens (`orderflow token --customer ID | --staff`); "
        "open the board and dashboard as .../board#token=STAFF_TOKEN"
    )


def worker_metrics_line(urls: Mapping[str, str]) -> str:
    """Where each worker's Prometheus metrics are, by worker name."""
    listed = "   ".join(f"{name}: {url}" for name, url in sorted(urls.items()))
    return f"worker metrics: {listed or '(none)'}"


def busy_port_notes(stack: LocalStack) -> list[str]:
    """A line for each server that could not have its usual port."""
    notes = []
    wanted = stack.settings.dev_kafka_port
    if stack.kafka is not None and stack.kafka.port != wanted:
        notes.append(f"port {wanted} was taken by another program: Kafka is on {stack.kafka.port}")
    nodes = stack.kafka_cluster.nodes if stack.kafka_cluster is not None else []
    for node in nodes:
        wanted = stack.settings.dev_kafka_port + node.node_id - 1
        if node.port != wanted:
            notes.append(f"port {wanted} was taken: Kafka node {node.node_id} is on {node.port}")
    wanted = stack.settings.dev_redis_port
    if stack.redis is not None and stack.redis.port != wanted:
        notes.append(f"port {wanted} was taken by another program: Redis is on {stack.redis.port}")
    return notes
