"""Prometheus metrics for the two HTTP services (an adapter, like orders/http.py).

Each app gets its own CollectorRegistry (tests build many apps in one process), a middleware
that counts and times every request, and `GET /metrics`. Requests are labelled with the route's
canonical path (`/orders/{order_id}`), never the raw path, and unknown methods are folded into
`OTHER`, so a client cannot grow the label sets without bound.
"""

import asyncio
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)

UNMATCHED = "unmatched"  # no route: a 404 or 405 answered by the router
CLIENT_GONE = 499  # cancelled before answering (at shutdown), after nginx's "client closed"
_METHODS = frozenset(hdrs.METH_ALL)
# From 1 ms to 10 s: accepts wait for the broker's ack (PUBLISH_TIMEOUT_S is 5 s by default).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The request metrics of one app, in its own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "orderflow_http_requests",
            "HTTP requests answered, by method, route (canonical path) and status",
            labels,
            registry=registry,
        )
        self.duration = Histogram(
            "orderflow_http_request_duration_seconds",
            "Time from receiving a request to returning its response",
            labels,
            buckets=_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method if method in _METHODS else "OTHER", route, str(status))
        self.requests.labels(*labels).inc()
        self.duration.labels(*labels).observe(seconds)

    def middleware(self) -> Middleware:
        @web.middleware
        async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500  # what the client sees when the handler raises past every middleware
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as e:
                status = e.status
                raise
            except asyncio.CancelledError:
                status = CLIENT_GONE
                raise
            finally:
                self.observe(request.method, route_of(request), status, _since(started))

        return count_requests


def route_of(request: web.Request) -> str:
    """The canonical path of the route that matched, e.g. `/orders/{order_id}`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def _since(started: float) -> float:
    return time.perf_counter() - started


def install(app: web.Application) -> CollectorRegistry:
    """Give `app` a registry, the request middleware (outermost, so it sees the final status
    of every answer, errors included) and `GET /metrics`. Call before the app is frozen."""
    registry = CollectorRegistry()
    app[REGISTRY] = registry
    app.middlewares.insert(0, HttpMetrics(registry).middleware())
    app.router.add_get("/metrics", metrics)
    return registry


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_PLAIN_0_0_4})
