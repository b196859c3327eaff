"""The worker's optional /metrics endpoint (loopback only)."""

import urllib.request

from orderflow.infra.ports import free_port
from stream_processors.metrics import EVENTS_PROCESSED, serve_metrics


def test_metrics_are_off_by_default() -> None:
    assert serve_metrics("127.0.0.1", 0) is None


def test_metrics_are_served_when_a_port_is_set() -> None:
    EVENTS_PROCESSED.labels("validation", "handled").inc()
    port = free_port()
    server = serve_metrics("127.0.0.1", port)
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'orderflow_stage_events_processed_total{outcome="handled",stage="validation"}' in body
    assert "# TYPE orderflow_dead_letters_total counter" in body
