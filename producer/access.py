"""Who may use each route of the front door (orders/auth/rules.py; README, "Security")."""

from orders.auth.gate import RouteRules
from orders.auth.rules import Access

ROUTES: RouteRules = {
    "POST /orders": Access.CALLER,  # a customer only for its own customer_id
    "POST /orders/{order_id}/cancel": Access.CALLER,  # a customer only its own orders
    "GET /healthz": Access.PUBLIC,
    "GET /readyz": Access.PUBLIC,
    "GET /metrics": Access.METRICS,
    "GET /openapi.json": Access.PUBLIC,
    "GET /docs": Access.PUBLIC,
}
