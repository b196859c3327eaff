"""`orderflow dev`: one stack per state directory, found by the other commands, and every URL
printed when it is ready."""

import re
from pathlib import Path

import click
import pytest

from orderflow.commands.context import require_kafka
from orderflow.commands.dev import ready_message, worker_metrics_line
from orderflow.devstack import (
    RunningStack,
    StackAlreadyRunning,
    StackLock,
    running_stack,
    settings_for_commands,
)
from orderflow.infra.kafka_cluster import LocalKafkaCluster
from orderflow.infra.ports import free_port
from orderflow.stack import LocalStack
from orders.settings import Settings


def announced() -> RunningStack:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:29092", redis_url="redis://h:1/0")
    return RunningStack.of(settings, {})


def test_worker_metrics_line_names_each_worker() -> None:
    urls = {
        "worker-2": "http://127.0.0.1:6067/metrics",
        "worker-1": "http://127.0.0.1:6066/metrics",
    }

    assert worker_metrics_line(urls) == (
        "worker metrics: worker-1: http://127.0.0.1:6066/metrics"
        "   worker-2: http://127.0.0.1:6067/metrics"
    )
    assert worker_metrics_line({}) == "worker metrics: (none)"


def test_the_ready_message_lists_every_url_a_newcomer_wants(tmp_path: Path) -> None:
    stack = LocalStack(Settings(), workers=1, log_dir=tmp_path)
    stack.worker_metrics_urls["worker-1"] = "http://127.0.0.1:6066/metrics"

    message = ready_message(stack, tmp_path / "stack.json")

    for url in (
        "http://127.0.0.1:8080/orders",
        "http://127.0.0.1:8080/docs",
        "http://127.0.0.1:8081/orders",
        "http://127.0.0.1:8081/docs",
        "http://127.0.0.1:8081/board",
        "http://127.0.0.1:8081/dashboard",
        "http://127.0.0.1:6066/metrics",
        "127.0.0.1:9092",
        "redis://127.0.0.1:6379/0",
        str(tmp_path / "stack.json"),
    ):
        assert url in message


def test_a_second_stack_in_one_state_directory_is_refused_naming_the_first(
    tmp_path: Path,
) -> None:
    with StackLock(tmp_path) as first:
        first.announce(announced())

        with pytest.raises(StackAlreadyRunning, match=re.escape("127.0.0.1:29092")):
            StackLock(tmp_path).acquire()

    with StackLock(tmp_path):  # let go: the next one starts
        pass


def test_commands_find_the_running_stack_and_not_a_stopped_one(tmp_path: Path) -> None:
    base = Settings(dev_state_dir=str(tmp_path), topic_prefix="mine")
    with StackLock(tmp_path) as lock:
        lock.announce(announced())

        settings, stack = settings_for_commands(base)

        assert stack is not None
        assert settings.kafka_bootstrap_servers == "127.0.0.1:29092"
        assert settings.redis_url == "redis://h:1/0"
        assert settings.topic_prefix == "mine"  # set explicitly: kept
        elsewhere = base.model_copy(update={"kafka_bootstrap_servers": "k:9"})
        assert settings_for_commands(Settings(**elsewhere.model_dump()))[1] is None

    assert running_stack(tmp_path) is None
    assert settings_for_commands(base) == (base, None)


def test_a_stack_killed_before_it_cleaned_up_is_not_found(tmp_path: Path) -> None:
    # What a SIGKILLed `dev` leaves: its address file, with nobody holding the lock.
    (tmp_path / "stack.lock").touch()
    (tmp_path / "stack.json").write_text('{"pid": 1, "started_at": "x", "settings": {}}')

    assert running_stack(tmp_path) is None


def test_unreachable_kafka_is_a_plain_error_not_a_hang() -> None:
    settings = Settings(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")

    with pytest.raises(click.ClickException, match=re.escape("cannot reach Kafka at 127.0.0.1:")):
        require_kafka(settings, None)


def test_the_ready_message_of_a_cluster_names_its_replication_and_moved_ports(
    tmp_path: Path,
) -> None:
    settings = Settings(
        kafka_bootstrap_servers="127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:29094",
        replication_factor=3,
    )
    stack = LocalStack(settings, workers=1, brokers=3, log_dir=tmp_path)
    # Not started: the nodes only have their ports; the third could not have 9094.
    stack.kafka_cluster = LocalKafkaCluster(
        tmp_path / "libs", 3, data_dir=tmp_path / "kafka", ports=[9092, 9093, 29094]
    )

    message = ready_message(stack, tmp_path / "stack.json")

    assert "Kafka cluster: 3 broker+controller nodes, replication factor 3" in message
    assert "min.insync.replicas 2" in message
    notes = [line.strip() for line in message.splitlines() if "note:" in line]
    assert notes == ["note: port 9094 was taken: Kafka node 3 is on 29094"]
