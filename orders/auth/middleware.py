"""The aiohttp side of authentication, shared by both services: one middleware that admits
each request by its route's Access (orders/auth/gate.py) and leaves the caller on the request
for the handlers' per-order rules (orders/auth/rules.py)."""

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from orders.auth.gate import Forbidden, Gate, MissingToken, RouteRules
from orders.auth.principal import Principal
from orders.auth.rules import Access
from orders.errors import InvalidToken
from orders.http import error_response
from orders.settings import Settings

log = logging.getLogger(__name__)

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
REALM = "orderflow"
QUERY_TOKEN = "access_token"  # for EventSource, which cannot send headers (RFC 6750 2.3)


def install(
    app: web.Application,
    settings: Settings,
    rules: RouteRules,
    *,
    name: str,
    query_token_routes: frozenset[str] = frozenset(),
) -> None:
    """Admit every request of `app` by `rules` (a route not in them needs a staff token), as
    the innermost middleware; warn once at start when authentication is off.
    `query_token_routes` may also take the token as `?access_token=` (event streams)."""
    gate = Gate.from_settings(settings)
    app.middlewares.append(_middleware(gate, rules, query_token_routes))
    if not gate.enforcing:

        async def warn(_app: web.Application) -> None:
            log.warning(
                "AUTHENTICATION IS OFF (ORDERFLOW_AUTH_MODE=none): anyone who can reach the %s "
                "may read and change every customer's orders. Set ORDERFLOW_AUTH_MODE=jwt "
                "outside development (README, Security).",
                name,
            )

        app.on_startup.append(warn)


def principal(request: web.Request) -> Principal:
    """The caller the middleware admitted."""
    return request[PRINCIPAL]


def route_name(request: web.Request) -> str | None:
    """The matched route as "METHOD /canonical/path" (HEAD counts as GET); None unmatched."""
    route = request.match_info.route
    if request.match_info.http_exception is not None or route.resource is None:
        return None
    method = "GET" if route.method == "HEAD" else route.method
    return f"{method} {route.resource.canonical}"


def _middleware(gate: Gate, rules: RouteRules, query_routes: frozenset[str]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        name = route_name(request)
        if name is None:  # 404/405 of the router: nothing to protect
            return await handler(request)
        try:
            token = _token(request, name in query_routes)
            request[PRINCIPAL] = gate.admit(rules.get(name, Access.STAFF), token)
        except MissingToken as e:
            return unauthorized(str(e), None)
        except InvalidToken as e:
            return unauthorized(str(e), "invalid_token")
        except Forbidden as e:
            return error_response(403, str(e))
        return await handler(request)

    return middleware


def _token(request: web.Request, query_allowed: bool) -> str | None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("Authorization must be: Bearer <token>")
        return value.strip()
    if query_allowed:
        return request.query.get(QUERY_TOKEN) or None
    return None


def unauthorized(message: str, error: str | None) -> web.Response:
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        challenge += f', error="{error}", error_description="{message}"'
    return error_response(401, message, headers={"WWW-Authenticate": challenge})
