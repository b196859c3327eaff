"""The workers' Prometheus metrics (prometheus-client's default registry).

Exposed over HTTP only when `worker_metrics_port` is set (see `serve_metrics`).
"""

import logging
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

from stream_processors.lag import ConsumerLag

log = logging.getLogger(__name__)

EVENTS_PROCESSED = Counter(
    "orderflow_stage_events_processed",
    "Records a stage finished: handled, or dead-lettered",
    ["stage", "outcome"],
)
DEAD_LETTERS = Counter(
    "orderflow_dead_letters",
    "Records a stage sent to the dead-letter topic",
    ["stage", "error_class"],
)
TRANSIENT_RETRIES = Counter(
    "orderflow_stage_transient_retries",
    "Retries of a handler after a transient failure (a dependency down)",
    ["stage", "error_class"],
)
HANDLER_FAILURES = Counter(
    "orderflow_stage_handler_failures",
    "Failed attempts of a handler that raised an unexpected error (a bug): retried, then "
    "dead-lettered",
    ["stage", "error_class"],
)
STATUS_WRITES = Histogram(
    "orderflow_status_write_changes",
    "Status changes written to the status table per Redis call (the projection groups them)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
IN_FLIGHT = Gauge(
    "orderflow_worker_records_in_flight",
    "Records a worker has taken from a topic and not finished yet",
    ["topic"],
)
FETCH_GAPS = Counter(
    "orderflow_worker_fetch_gaps",
    "Times the fetcher skipped records of a partition (around a rebalance) and the worker "
    "sought back to read them",
    ["topic"],
)
CONSUMER_LAG = ConsumerLag()  # refreshed by a timer (stream_processors/lag.py) when served
REGISTRY.register(CONSUMER_LAG)

WORKER_READY = Gauge(
    "orderflow_worker_ready",
    "1 when the worker holds its partitions with its tables recovered; 0 while it joins the "
    "group, rebalances or restores tables",
)


def worker_is_ready(app: Any) -> bool:
    """Whether the Faust `app` is past joining, rebalancing and table recovery."""
    return not (app.rebalancing or app.in_recovery) and bool(app.consumer.flow_active)


def register_readiness(app: Any, interval_s: float = 0.5) -> Any:
    """Keep WORKER_READY current with a Faust timer on every worker."""

    async def readiness() -> None:
        WORKER_READY.set(1 if worker_is_ready(app) else 0)

    return app.timer(interval=interval_s, name="orderflow.readiness")(readiness)


def serve_metrics(host: str, port: int) -> WSGIServer | None:
    """Serve /metrics from a daemon thread of this process; port 0 means off."""
    if not port:
        return None
    server, _ = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server
