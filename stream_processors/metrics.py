"""The workers' Prometheus metrics (prometheus-client's default registry).

Exposed over HTTP only when `worker_metrics_port` is set (see `serve_metrics`).
"""

import logging
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, Counter, start_http_server

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
CONSUMER_LAG = ConsumerLag()  # refreshed by a timer (stream_processors/lag.py) when served
REGISTRY.register(CONSUMER_LAG)


def serve_metrics(host: str, port: int) -> WSGIServer | None:
    """Serve /metrics from a daemon thread of this process; port 0 means off."""
    if not port:
        return None
    server, _ = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server
