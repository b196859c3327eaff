"""Runs one Faust worker of the consumer group until it is told to stop (SIGINT/SIGTERM)."""

from pathlib import Path

import faust

from orders.contracts.admin import ensure_topics
from orders.contracts.topics import TopicSpec
from orders.settings import Settings
from stream_processors import lag
from stream_processors.app import WorkerApp, create_app
from stream_processors.metrics import CONSUMER_LAG, serve_metrics


def changelog_topics(worker_app: WorkerApp) -> list[TopicSpec]:
    """The tables' changelog topics, as Faust would declare them (compacted, one partition per
    partition of the table's source topic)."""
    return [
        TopicSpec(
            table.changelog_topic.get_topic_name(),
            table.partitions,
            f"{name} table key",
            {"cleanup.policy": "compact"},
        )
        for name, table in worker_app.tables.items()
    ]


def run_worker(settings: Settings, name: str = "worker", loglevel: str = "info") -> None:
    """Blocking. Creates the topics first, so a worker may start before the front door.

    The changelogs too: when Faust creates one itself, its consumer can join the group with
    metadata from before the topic existed; the table then fails every write with
    PartitionsMismatch (crashing its agent, which drops the event) until the next rebalance.
    """
    Path(settings.worker_data_dir, name).mkdir(parents=True, exist_ok=True)  # Faust makes one level
    worker_app = create_app(settings, worker_name=name)
    ensure_topics(settings, extra=changelog_topics(worker_app))
    if serve_metrics(settings.worker_web_host, settings.worker_metrics_port) is not None:
        lag.register(worker_app.app, settings, CONSUMER_LAG)
    worker = faust.Worker(worker_app.app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
