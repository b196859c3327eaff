"""Who may use each route of the status API (orders/auth/rules.py; README, "Security")."""

from orders.auth.gate import RouteRules
from orders.auth.rules import Access

ROUTES: RouteRules = {
    "GET /orders/{order_id}": Access.CALLER,  # a customer only its own orders (else 404)
    "GET /orders/{order_id}/events": Access.CALLER,  # the same
    "GET /orders": Access.CALLER,  # a customer only its own list
    "GET /stats": Access.STAFF,
    "GET /events": Access.STAFF,
    "GET /dashboard.json": Access.STAFF,
    # Pages and their files hold no data: they read it with the token in their URL fragment.
    "GET /board": Access.PUBLIC,
    "GET /board/static/{filename}": Access.PUBLIC,
    "GET /dashboard": Access.PUBLIC,
    "GET /dashboard/static/{filename}": Access.PUBLIC,
    "GET /healthz": Access.PUBLIC,
    "GET /readyz": Access.PUBLIC,
    "GET /metrics": Access.METRICS,
    "GET /openapi.json": Access.PUBLIC,
    "GET /docs": Access.PUBLIC,
}

# EventSource cannot send headers: these streams also take `?access_token=`.
QUERY_TOKEN_ROUTES = frozenset({"GET /events", "GET /orders/{order_id}/events"})
