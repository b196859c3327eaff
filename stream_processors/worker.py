"""Runs one worker of the consumer group until it is told to stop (SIGINT/SIGTERM): the direct
runtime (stream_processors/direct/, the default) or a Faust worker (`worker_runtime="faust"`)."""

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import faust

from orders.contracts.admin import ensure_topics
from orders.contracts.topics import TopicSpec
from orders.event_loop import use_event_loop
from orders.settings import Settings
from stream_processors import lag
from stream_processors.app import WorkerApp, create_app
from stream_processors.grace import exit_overdue
from stream_processors.metrics import CONSUMER_LAG, serve_metrics


class GracefulWorker(faust.Worker):
    """A Faust worker that is gone within `grace_s` of SIGTERM or SIGINT. Faust's orderly
    stop (finish the records in flight, commit, leave the group) normally takes a second or
    two; should it hang, the process exits anyway, before an orchestrator's SIGKILL. Nothing
    is lost: what it had not committed is read again by the partition's next owner."""

    def __init__(self, *args: Any, grace_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grace_s = grace_s

    def _schedule_shutdown(self, signum: signal.Signals) -> None:
        if not self._signal_stop_time:
            watchdog = threading.Timer(self.grace_s, exit_overdue, args=(self.grace_s,))
            watchdog.daemon = True
            watchdog.start()
        super()._schedule_shutdown(signum)


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
    use_event_loop(settings.event_loop)  # before Faust makes its loop
    if settings.worker_runtime == "direct":
        _run_direct(settings, name)
        return
    Path(settings.worker_data_dir, name).mkdir(parents=True, exist_ok=True)  # Faust makes one level
    worker_app = create_app(settings, worker_name=name)
    ensure_topics(settings, extra=changelog_topics(worker_app))
    if serve_metrics(settings.worker_web_host, settings.worker_metrics_port) is not None:
        lag.register(worker_app.app, settings, CONSUMER_LAG)
    worker = GracefulWorker(
        worker_app.app, loglevel=loglevel, quiet=True, grace_s=settings.worker_shutdown_grace_s
    )
    worker.execute_from_commandline()


def _run_direct(settings: Settings, name: str) -> None:
    from stream_processors.direct import main

    ensure_topics(settings, extra=main.tables_for(settings).topic_specs())
    measure_lag = serve_metrics(settings.worker_web_host, settings.worker_metrics_port) is not None
    sys.exit(main.run(settings, name, measure_lag=measure_lag))
