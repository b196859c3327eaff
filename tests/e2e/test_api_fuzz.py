"""Property-based fuzzing of both HTTP services against their own OpenAPI documents.

schemathesis takes each service's document (built in code, the one the service serves) and
sends generated requests, valid and invalid, to every operation of one real stack (real Kafka,
Redis and processes). Every answer must be documented: no 5xx, a documented status code,
content type, headers and body schema; invalid input must be refused and valid input accepted.

The stack runs with authentication on (ORDERFLOW_AUTH_MODE=jwt, a metrics token): requests
carry a staff token (and schemathesis's ignored_auth check also sends each operation without
it and with a wrong one, expecting 401); a second, shorter run sends no token at all, and
every operation that needs one must answer 401, never a 5xx.
"""

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.core.mutations import render_mutations
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
)

from orderflow.client import auth_headers
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.auth.mint import mint
from orders.domain.status import TERMINAL, OrderStatus
from orders.settings import Settings
from producer.openapi import served_document as front_door_spec
from status_api.openapi import served_document as status_api_spec
from tests.e2e.conftest import stack_settings

AUTH = {
    "auth_mode": "jwt",
    "auth_hs256_secret": "fuzz-secret-" + "x" * 32,
    "auth_metrics_token": "fuzz-metrics-" + "m" * 16,
}
# The stack below changes nothing else the documents show.
DOCUMENTED = Settings.model_validate(AUTH)
front_door = schemathesis.openapi.from_dict(front_door_spec(DOCUMENTED))
status_api = schemathesis.openapi.from_dict(status_api_spec(DOCUMENTED))
# GET /events is a stream that never ends (test_status_streams follows it); not a request the
# fuzzer can wait out.
status_api_requests = status_api.exclude(path="/events")

# Bounded: 100 examples per operation and generation phase on two shared cores. No deadline: an
# accepted order waits for the broker's acknowledgement.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,  # nothing written to the working tree; a failure prints its reproduction
    suppress_health_check=list(HealthCheck),
)


# Schema-valid requests refused for reasons a JSON Schema cannot state: an Idempotency-Key
# already used with another body and a list cursor the API did not hand out (state), or lines
# whose total overflows (a rule across fields).
STATE_OR_CROSS_FIELD = {
    422: ("Idempotency-Key was already used", "order total is too large"),
    400: ("cursor is not one this API handed out",),
}


def accepts_valid_data(ctx: CheckContext, response: Response, case: schemathesis.Case) -> None:
    """schemathesis's positive_data_acceptance, less the refusals above."""
    if any(why in response.text for why in STATE_OR_CROSS_FIELD.get(response.status_code, ())):
        return
    positive_data_acceptance(ctx, response, case)


def _mutates_authorization(case: schemathesis.Case) -> bool:
    """A negative case whose fault is a missing or invalid Authorization header: this test sends
    a valid token over it (the runs without a token, and ignored_auth, cover those faults)."""
    data = case.meta.phase.data if case.meta is not None else None
    texts = [str(getattr(data, "parameter", "") or ""), str(getattr(data, "description", ""))]
    texts += render_mutations(getattr(data, "mutations", None) or [])
    return any("authorization" in text.lower() for text in texts)


def rejects_invalid_data(ctx: CheckContext, response: Response, case: schemathesis.Case) -> None:
    """schemathesis's negative_data_rejection and missing_required_header, less the faults in
    Authorization (above)."""
    if not _mutates_authorization(case):
        negative_data_rejection(ctx, response, case)
        missing_required_header(ctx, response, case)


CHECKS = {
    "excluded_checks": [positive_data_acceptance, negative_data_rejection, missing_required_header],
    "additional_checks": [accepts_valid_data, rejects_invalid_data],
}
WITHOUT_TOKEN = settings(FUZZ, max_examples=10)


def staff_headers(case: schemathesis.Case) -> dict[str, str]:
    """A staff token, or the metrics token for GET /metrics (what each operation declares)."""
    if case.operation.path == "/metrics":
        return auth_headers(DOCUMENTED.auth_metrics_token.get_secret_value())  # type: ignore[union-attr]
    return auth_headers(mint(DOCUMENTED, "fuzzer", staff=True, ttl_s=600))


@pytest.fixture(scope="module")
def fuzz_stack(
    kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """One stack for every operation of both services (a stack per operation would take
    minutes): like `stack_factory`'s, with one worker."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    servers = {"kafka_bootstrap_servers": kafka_bootstrap, "redis_url": redis_url}
    stack = LocalStack(  # a slow gateway: an order stays RESERVED while it is charged
        stack_settings(prefix, tmp_path_factory, payment_latency_ms=1500, **servers, **AUTH),
        workers=1,
        log_dir=tmp_path_factory.mktemp("logs"),
        fixed_ports=False,
    )
    with stack:
        yield stack


def _served(url: str) -> object:
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=10) as response:
        return json.load(response)


def test_services_serve_the_documents_fuzzed_here(fuzz_stack: LocalStack) -> None:
    assert _served(fuzz_stack.producer_url) == front_door_spec(DOCUMENTED)
    assert _served(fuzz_stack.status_url) == status_api_spec(DOCUMENTED)


def _status(stack: LocalStack, order_id: str) -> Any:
    case = status_api["/orders/{order_id}"]["GET"].Case(path_parameters={"order_id": order_id})
    return case.call(base_url=stack.status_url, timeout=10, headers=staff_headers(case))


def _wait_for(stack: LocalStack, order_id: str, wanted: set[OrderStatus]) -> Any:
    deadline = time.monotonic() + 60
    while True:
        response = _status(stack, order_id)
        if response.status_code == 200 and OrderStatus(response.json()["status"]) in wanted:
            return response
        assert time.monotonic() < deadline, f"order {order_id} never in {wanted}"
        time.sleep(0.02)  # polling the status API


def _cancel(stack: LocalStack, order_id: str) -> Any:
    case = front_door["/orders/{order_id}/cancel"]["POST"].Case(
        path_parameters={"order_id": order_id}
    )
    return case.call_and_validate(base_url=stack.producer_url, headers=staff_headers(case))


def _reserved_order(stack: LocalStack) -> str:
    line = {"sku": "FUZZ-BURGER", "quantity": 1, "unit_price": "5.50"}
    body = {"customer_id": "c", "currency": "USD", "payment_token": "tok_visa", "items": [line]}
    placed = front_door["/orders"]["POST"].Case(body=body, media_type="application/json")
    answer = placed.call_and_validate(base_url=stack.producer_url, headers=staff_headers(placed))
    order_id: str = answer.json()["order_id"]
    _wait_for(stack, order_id, {OrderStatus.RESERVED})
    return order_id


def test_an_order_through_cancellation_conforms(fuzz_stack: LocalStack) -> None:
    """The answers random ids and bodies rarely reach: 202 for a cancellation, 409 for a
    second one, 200 for a known order (with its history), each checked against the document."""
    asyncio.run(set_stock(fuzz_stack.settings, {"FUZZ-BURGER": 10}))
    for _ in range(3):  # a projection running late may show PAID before the request lands
        order_id = _reserved_order(fuzz_stack)
        if _cancel(fuzz_stack, order_id).status_code == 202:
            break
    else:
        pytest.fail("no cancellation of a RESERVED order was accepted in 3 tries")

    final = _wait_for(fuzz_stack, order_id, set(TERMINAL))
    status_api["/orders/{order_id}"]["GET"].validate_response(final)
    # Which one the payment stage decides is test_cancellation's business, not this test's.
    assert final.json()["status"] in {OrderStatus.COMPLETED, OrderStatus.CANCELLED}
    assert _cancel(fuzz_stack, order_id).status_code == 409


@front_door.parametrize()
@FUZZ
def test_front_door_conforms_to_its_openapi_document(
    case: schemathesis.Case, fuzz_stack: LocalStack
) -> None:
    case.call_and_validate(
        base_url=fuzz_stack.producer_url, timeout=30, headers=staff_headers(case), **CHECKS
    )


@status_api_requests.parametrize()
@FUZZ
def test_status_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, fuzz_stack: LocalStack
) -> None:
    case.call_and_validate(
        base_url=fuzz_stack.status_url, timeout=30, headers=staff_headers(case), **CHECKS
    )


def _refused_without_a_token(case: schemathesis.Case, base_url: str) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call(base_url=base_url, timeout=30)
    assert response.status_code < 500, response.text
    # A request the router cannot route (a mutated path or method) never reaches the check.
    unrouted = {(404, "Not Found"), (405, "Method Not Allowed")}
    if case.operation.definition.raw.get("security") and not (
        response.status_code in {404, 405}
        and (response.status_code, response.json().get("error")) in unrouted
    ):
        assert response.status_code == 401, (response.status_code, response.text)
        assert response.headers["www-authenticate"][0].startswith("Bearer")
    # Valid data is refused here (401), so only the conformance checks apply.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


@front_door.parametrize()
@WITHOUT_TOKEN
def test_front_door_without_a_token(case: schemathesis.Case, fuzz_stack: LocalStack) -> None:
    _refused_without_a_token(case, fuzz_stack.producer_url)


@status_api_requests.parametrize()
@WITHOUT_TOKEN
def test_status_api_without_a_token(case: schemathesis.Case, fuzz_stack: LocalStack) -> None:
    _refused_without_a_token(case, fuzz_stack.status_url)
