"""The image's healthcheck finds the container's role and probes that role's endpoint."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orderflow.healthcheck import healthy, probe_url, role_of
from orders.settings import Settings


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/app/.venv/bin/python", "/app/.venv/bin/orderflow", "producer"], "producer"),
        (["/sbin/docker-init", "--", "orderflow", "-v", "status-api"], "status-api"),
        (["orderflow", "worker", "--name", "worker"], "worker"),
        (["sh", "-c", "orderflow stock set A 1"], None),
        (["redis-server"], None),
    ],
)
def test_role_of(argv: list[str], role: str | None) -> None:
    assert role_of(argv) == role


def test_probe_urls_follow_settings() -> None:
    settings = Settings(producer_port=8090, status_api_port=8091, worker_metrics_port=9100)
    assert probe_url("producer", settings) == "http://127.0.0.1:8090/readyz"
    assert probe_url("status-api", settings) == "http://127.0.0.1:8091/readyz"
    assert probe_url("worker", settings) == "http://127.0.0.1:9100/metrics"
    assert probe_url("worker", Settings(worker_metrics_port=0)) is None
    assert probe_url("topics", settings) is None


class _Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_healthy_only_on_200(server: str) -> None:
    assert healthy(f"{server}/readyz")
    assert not healthy(f"{server}/other")


def test_nothing_listening_is_unhealthy() -> None:
    from orderflow.infra.ports import free_port

    assert not healthy(f"http://127.0.0.1:{free_port()}/readyz")
