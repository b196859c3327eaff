"""The security part of a service's OpenAPI document, written from the same route table the
middleware enforces, so the document cannot promise other rules than the service keeps."""

import copy
from collections.abc import Mapping

from orders.auth.gate import RouteRules
from orders.auth.rules import Access
from orders.openapi import Schema, answer, ref
from orders.settings import Settings

BEARER = "bearerAuth"
METRICS = "metricsToken"

_CHALLENGE: Schema = {
    "description": 'How to authenticate: `Bearer realm="orderflow"` (with `error` and '
    "`error_description` when a token was sent)",
    "required": True,
    "schema": {"type": "string"},
}
_SCHEMES: Schema = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A customer token (`sub`: the customer id) or a staff token (the staff "
        "claim). README, Security.",
    },
    METRICS: {"type": "http", "scheme": "bearer", "description": "The metrics token"},
}


def secured(
    spec: Schema, rules: RouteRules, settings: Settings, extra: Mapping[str, Schema] | None = None
) -> Schema:
    """`spec` with each operation's security and its 401/403 answers. With auth off nothing is
    required, and the document says so by declaring no security. `extra` adds responses per
    route (e.g. the 404 a customer gets for another's list)."""
    jwt_on = settings.auth_mode == "jwt"
    metrics_on = settings.auth_metrics_token is not None
    if not (jwt_on or metrics_on):
        return spec
    spec = copy.deepcopy(spec)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            name = f"{method.upper()} {path}"
            access = rules.get(name, Access.STAFF)
            _secure(operation, access, jwt_on=jwt_on, metrics_on=metrics_on)
            if jwt_on and extra and name in extra:
                operation["responses"].update(extra[name])
    used = ([BEARER] if jwt_on else []) + ([METRICS] if metrics_on else [])
    spec["components"]["securitySchemes"] = {k: _SCHEMES[k] for k in used}
    return spec


def _secure(operation: Schema, access: Access, *, jwt_on: bool, metrics_on: bool) -> None:
    responses = operation["responses"]
    required: list[Schema]
    if access is Access.METRICS:
        required = [{METRICS: []}] if metrics_on else []
    elif access is Access.PUBLIC or not jwt_on:
        required = []
    else:
        required = [{BEARER: []}]
    operation["security"] = required
    if required:
        responses["401"] = answer(
            "No token, or one that is malformed, expired, badly signed, for another audience "
            "or issuer",
            ref("Error"),
            {"WWW-Authenticate": _CHALLENGE},
        )
    if required and access is Access.STAFF:
        responses["403"] = answer("A valid token that is not a staff token", ref("Error"))
