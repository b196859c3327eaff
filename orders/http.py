"""aiohttp plumbing shared by the two HTTP services (an adapter: only producer/ and
status_api/ import it): JSON error bodies, domain errors mapped to statuses, and `serve()`."""

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

# aiohttp's own headers on an HTTPException describe its text/plain body, not our JSON one;
# the others (405's Allow, say) still apply.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


def error_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None, **details: Any
) -> web.Response:
    return web.json_response({"error": message, **details}, status=status, headers=headers)


@dataclass(frozen=True)
class KnownError:
    """A domain error a service answers with a fixed status (and logs as a warning)."""

    kind: type[Exception]
    status: int
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)


def json_errors(*known: KnownError) -> Middleware:
    """Every error as a JSON body: aiohttp's (404, 405, 413...), the `known` domain errors,
    and anything unexpected as a bare 500 that is logged; never a traceback."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as e:
            if e.status < 400:  # redirects and the like are not errors
                raise
            kept = {k: v for k, v in e.headers.items() if k.lower() not in _BODY_HEADERS}
            return error_response(e.status, e.reason, headers=kept)
        except Exception as e:
            for error in known:
                if isinstance(e, error.kind):
                    log.warning("%s %s: %s", request.method, request.path, e)
                    return error_response(error.status, error.message, headers=error.headers)
            log.exception("unexpected error answering %s %s", request.method, request.path)
            return error_response(500, "internal error")

    return middleware


def announce(name: str, banner: str) -> None:
    """Our one line in place of aiohttp's banner, which it prints once the sockets listen
    (with the real port, even when port 0 was asked for)."""
    urls = re.findall(r"https?://\S+", banner)
    print(f"orderflow {name} listening on {', '.join(urls) or banner}", flush=True)


def serve(
    app: web.Application,
    *,
    name: str,
    host: str,
    port: int,
    access_log: bool,
    shutdown_timeout: float = 60.0,
) -> None:
    """Run `app` until SIGINT/SIGTERM. Then it stops listening, gives requests in flight up to
    `shutdown_timeout` to finish (cancelling the rest), and runs the cleanup contexts."""
    web.run_app(
        app,
        host=host,
        port=port,
        shutdown_timeout=shutdown_timeout,
        access_log=logging.getLogger("aiohttp.access") if access_log else None,
        print=functools.partial(announce, name),
        handle_signals=True,
    )
