"""The front door's own metrics, next to the request metrics of orders/http_metrics.py."""

from typing import Protocol, runtime_checkable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from producer.views import ORDER_PRODUCER


@runtime_checkable
class Queued(Protocol):
    """A publisher that can tell how many events wait for the broker's acknowledgement."""

    def queue_depth(self) -> int: ...


def track_producer_queue(app: web.Application, registry: CollectorRegistry) -> None:
    """`orderflow_producer_queue_depth`, read from the publisher at every scrape."""
    gauge = Gauge(
        "orderflow_producer_queue_depth",
        "Events in the Kafka producer's queue, not yet acknowledged by the broker",
        registry=registry,
    )
    gauge.set_function(lambda: _queue_depth(app))


def _queue_depth(app: web.Application) -> float:
    producer = app.get(ORDER_PRODUCER)  # absent before startup and after cleanup
    if producer is None or not isinstance(producer.publisher, Queued):
        return 0.0
    return float(producer.publisher.queue_depth())


def pending_write_failures(registry: CollectorRegistry) -> Counter:
    """`orderflow_producer_pending_write_failures_total`: accepted orders the front door could
    not record PENDING in the status table (the projection records them later)."""
    return Counter(
        "orderflow_producer_pending_write_failures",
        "Accepted orders not recorded PENDING by the front door (left to the projection)",
        registry=registry,
    )
