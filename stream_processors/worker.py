"""Runs one Faust worker of the consumer group until it is told to stop (SIGINT/SIGTERM)."""

from pathlib import Path

import faust

from orders.contracts.admin import ensure_topics
from orders.settings import Settings
from stream_processors.app import create_app
from stream_processors.metrics import serve_metrics


def run_worker(settings: Settings, name: str = "worker", loglevel: str = "info") -> None:
    """Blocking. Creates the topics first, so a worker may start before the front door."""
    ensure_topics(settings)
    Path(settings.worker_data_dir, name).mkdir(parents=True, exist_ok=True)  # Faust makes one level
    worker_app = create_app(settings, worker_name=name)
    serve_metrics(settings.worker_web_host, settings.worker_metrics_port)
    worker = faust.Worker(worker_app.app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
