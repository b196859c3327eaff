"""`orderflow dev` prints where each worker's metrics are."""

from orderflow.cli import worker_metrics_line


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
