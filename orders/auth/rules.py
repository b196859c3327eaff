"""Who may do what: pure functions of the caller and what it asks for (no HTTP here).

Two layers. A route's `Access` is checked before its handler runs (orders/auth/middleware.py):
PUBLIC routes need no token, CALLER routes any valid token, STAFF routes a staff token, and
METRICS routes the metrics token when one is set. Inside CALLER routes the handlers apply the
per-order rules below: a customer acts only for itself, and another customer's order is
answered as if it did not exist (404), so order ids do not leak.
"""

from enum import Enum

from orders.auth.principal import Anyone, Customer, Principal, Staff


class Access(Enum):
    PUBLIC = "public"  # no token (health, readiness, documents, static pages)
    CALLER = "caller"  # any valid token; the handler applies the per-order rules
    STAFF = "staff"  # a staff token
    METRICS = "metrics"  # open, or the metrics token (ORDERFLOW_AUTH_METRICS_TOKEN)


class Decision(Enum):
    ALLOW = "allow"
    FORBIDDEN = "forbidden"  # 403: a valid token without the right
    NOT_FOUND = "not found"  # 404: another customer's order, answered as unknown


def route_decision(principal: Principal, access: Access) -> Decision:
    """Whether an authenticated caller may use a route at all."""
    if access is Access.STAFF and isinstance(principal, Customer):
        return Decision.FORBIDDEN
    return Decision.ALLOW


def order_decision(principal: Principal, owner: str | None) -> Decision:
    """Reading, following or cancelling an order owned by customer `owner` (None: not known,
    e.g. a row written before owners were recorded, which only staff may see)."""
    if isinstance(principal, Customer) and principal.customer_id != owner:
        return Decision.NOT_FOUND
    return Decision.ALLOW


def place_decision(principal: Principal, customer_id: str) -> Decision:
    """Placing an order for `customer_id`: a customer only for itself; staff for anyone."""
    if isinstance(principal, Customer) and principal.customer_id != customer_id:
        return Decision.FORBIDDEN
    return Decision.ALLOW


def list_scope(principal: Principal, requested: str | None) -> tuple[Decision, str | None]:
    """GET /orders: the customer filter to apply. A customer always lists its own orders (with
    or without `customer_id`); asking for another's list is answered 404 like its orders."""
    if isinstance(principal, Customer):
        if requested is not None and requested != principal.customer_id:
            return Decision.NOT_FOUND, None
        return Decision.ALLOW, principal.customer_id
    return Decision.ALLOW, requested


def idempotency_scope(principal: Principal, key: str) -> str:
    """The name an Idempotency-Key is remembered under. A customer's keys are its own, so two
    customers choosing the same key never meet; staff and auth-off callers keep the bare key.
    Bare keys are visible ASCII without spaces, so none equals a scoped one; the id's length
    keeps (id, key) pairs apart whatever characters the id holds."""
    match principal:
        case Customer(customer_id):
            return f"customer {len(customer_id)}:{customer_id} {key}"
        case Staff() | Anyone():
            return key
