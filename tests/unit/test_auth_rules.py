"""The access rules (orders/auth/rules.py), and the route tables that apply them."""

import pytest
from aiohttp import web

from orders.auth.principal import ANYONE, Customer, Principal, Staff
from orders.auth.rules import (
    Access,
    Decision,
    idempotency_scope,
    list_scope,
    order_decision,
    place_decision,
    route_decision,
)
from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from producer.access import ROUTES as FRONT_DOOR_ROUTES
from producer.app import create_app as front_door
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.publisher import RecordingPublisher
from status_api.access import QUERY_TOKEN_ROUTES
from status_api.access import ROUTES as STATUS_API_ROUTES
from status_api.app import create_app as status_api

ALICE = Customer("alice")
BOB = Customer("bob")
STAFF = Staff("ops")
ALLOW, FORBIDDEN, NOT_FOUND = Decision.ALLOW, Decision.FORBIDDEN, Decision.NOT_FOUND


@pytest.mark.parametrize(
    ("who", "access", "decision"),
    [
        (ALICE, Access.CALLER, ALLOW),
        (ALICE, Access.STAFF, FORBIDDEN),
        (STAFF, Access.STAFF, ALLOW),
        (STAFF, Access.CALLER, ALLOW),
        (ANYONE, Access.STAFF, ALLOW),  # auth off: as before
    ],
)
def test_routes_by_role(who: Principal, access: Access, decision: Decision) -> None:
    assert route_decision(who, access) is decision


@pytest.mark.parametrize(
    ("who", "owner", "decision"),
    [
        (ALICE, "alice", ALLOW),
        (BOB, "alice", NOT_FOUND),  # not 403: the id does not leak
        (ALICE, None, NOT_FOUND),  # an owner not recorded: staff only
        (STAFF, "alice", ALLOW),
        (STAFF, None, ALLOW),
        (ANYONE, "alice", ALLOW),
    ],
)
def test_orders_read_followed_and_cancelled_by_owner_or_staff(
    who: Principal, owner: str | None, decision: Decision
) -> None:
    assert order_decision(who, owner) is decision


@pytest.mark.parametrize(
    ("who", "customer", "decision"),
    [(ALICE, "alice", ALLOW), (ALICE, "bob", FORBIDDEN), (STAFF, "bob", ALLOW),
     (ANYONE, "bob", ALLOW)],
)  # fmt: skip
def test_orders_placed_for_oneself_or_by_staff(
    who: Principal, customer: str, decision: Decision
) -> None:
    assert place_decision(who, customer) is decision


def test_lists_are_scoped_to_the_customer() -> None:
    assert list_scope(ALICE, None) == (ALLOW, "alice")
    assert list_scope(ALICE, "alice") == (ALLOW, "alice")
    assert list_scope(ALICE, "bob") == (NOT_FOUND, None)
    assert list_scope(STAFF, None) == (ALLOW, None)
    assert list_scope(STAFF, "bob") == (ALLOW, "bob")
    assert list_scope(ANYONE, "bob") == (ALLOW, "bob")


def test_idempotency_keys_are_scoped_to_the_customer() -> None:
    assert idempotency_scope(ALICE, "k1") != idempotency_scope(BOB, "k1")
    assert idempotency_scope(STAFF, "k1") == idempotency_scope(ANYONE, "k1") == "k1"
    # A customer id with a space cannot make one customer's scoped key equal another's.
    assert idempotency_scope(Customer("a b"), "c") != idempotency_scope(Customer("a"), "b c")
    assert idempotency_scope(ALICE, "k1") not in {"k1", "alice k1", "alicek1"}


def _routes(app: web.Application) -> set[str]:
    names = set()
    for route in app.router.routes():
        if route.method != "HEAD" and route.resource is not None:
            names.add(f"{route.method} {route.resource.canonical}")
    return names


def test_every_route_of_both_services_has_a_stated_rule() -> None:
    """A new route gets a deliberate rule (else it would default to staff only)."""
    settings = Settings()
    producer = front_door(
        settings,
        publisher=RecordingPublisher(),
        idempotency=InMemoryIdempotencyStore(ttl_s=60, lease_s=30),
        status_store=InMemoryStatusStore(),
    )
    status = status_api(settings, InMemoryStatusStore())
    assert _routes(producer) == set(FRONT_DOOR_ROUTES)
    assert _routes(status) == set(STATUS_API_ROUTES)
    assert QUERY_TOKEN_ROUTES.issubset(STATUS_API_ROUTES)


def test_what_is_public() -> None:
    public = {name for name, access in STATUS_API_ROUTES.items() if access is Access.PUBLIC}
    assert public == {
        "GET /board", "GET /board/static/{filename}", "GET /dashboard",
        "GET /dashboard/static/{filename}", "GET /healthz", "GET /readyz",
        "GET /openapi.json", "GET /docs",
    }  # fmt: skip
    staff = {name for name, access in STATUS_API_ROUTES.items() if access is Access.STAFF}
    assert staff == {"GET /stats", "GET /events", "GET /dashboard.json"}
