"""OpenAPI 3.1 building blocks shared by the two HTTP services (an adapter, like orders/http.py).

Each service builds its document in code (producer/openapi.py, status_api/openapi.py): request
bodies come from the pydantic models, so the document cannot drift from what is validated.
`install()` serves it at `GET /openapi.json` and renders it at `GET /docs` (a small page in
this package: no CDN, nothing fetched from the internet).
"""

import functools
from importlib import resources
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/"
SPEC: web.AppKey[Schema] = web.AppKey("openapi_spec")

# Every error body: {"error": message, ...details}. The details a response may carry are listed,
# so a client (and the fuzzer's response check) knows each one's type.
ERROR_SCHEMA: Schema = {
    "type": "object",
    "description": "Every error is a JSON object with a human-readable `error` message.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string"},
        "fields": {
            "type": "array",
            "description": "422: what is wrong with the body, one entry per problem",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "additionalProperties": False,
                "properties": {
                    "field": {"type": "string", "description": "dotted path, e.g. items.0.sku"},
                    "message": {"type": "string"},
                },
            },
        },
        "header": {"type": "string", "description": "the request header at fault"},
        "expected": {"type": "string", "description": "415: the content type to send"},
        "max_bytes": {"type": "integer", "description": "413: the largest body accepted"},
        "retry_after": {"type": "integer", "description": "503: seconds to wait"},
    },
}

RETRY_AFTER: Schema = {
    "description": "Seconds to wait before retrying",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


def ref(name: str) -> Schema:
    return {"$ref": REF + name}


def model_schemas(*models: type[BaseModel]) -> dict[str, Schema]:
    """The models' JSON Schemas (validation mode: what a request may hold), with the models
    they use, keyed by name for `components.schemas`."""
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF + "{model}")
    return dict(defs.get("$defs", {}))


def json_body(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def answer(description: str, schema: Schema, headers: Schema | None = None) -> Schema:
    """A JSON response."""
    response: Schema = {"description": description, "content": json_body(schema)}
    if headers:
        response["headers"] = headers
    return response


def error(description: str, *, retry_after: bool = False) -> Schema:
    """An error response (the Error body), with `Retry-After` for a 503."""
    return answer(description, ref("Error"), {"Retry-After": RETRY_AFTER} if retry_after else None)


def text(description: str, media_type: str) -> Schema:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def status_body(*values: str) -> Schema:
    return {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"type": "string", "enum": list(values)}},
    }


def operation(summary: str, responses: Schema, tag: str, **extra: Any) -> Schema:
    return {"summary": summary, "tags": [tag], "responses": responses, **extra}


def common_paths(readiness: str, ready: str, not_ready: str) -> dict[str, Schema]:
    """The routes both services have: health, readiness, metrics and this document."""
    ops = "operations"
    return {
        "/healthz": {
            "get": operation(
                "Liveness: the process answers (no dependency is consulted)",
                {"200": answer("Alive", status_body("ok"))},
                ops,
                operationId="healthz",
            )
        },
        "/readyz": {
            "get": operation(
                f"Readiness: {readiness}",
                {
                    "200": answer("Ready", status_body(ready)),
                    "503": answer("Not ready", status_body(not_ready)),
                },
                ops,
                operationId="readyz",
            )
        },
        "/metrics": {
            "get": operation(
                "Prometheus metrics (text exposition format 0.0.4)",
                {"200": text("The metrics", "text/plain")},
                ops,
                operationId="metrics",
            )
        },
        "/openapi.json": {
            "get": operation(
                "This OpenAPI document",
                {"200": answer("The document", {"type": "object"})},
                ops,
                operationId="openapi",
            )
        },
        "/docs": {
            "get": operation(
                "This document as a readable page (self-contained: no CDN)",
                {"200": text("An HTML page", "text/html")},
                ops,
                operationId="docs",
            )
        },
    }


def document(title: str, description: str, paths: dict[str, Schema], schemas: Schema) -> Schema:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": "1", "description": description},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA, **schemas}},
    }


def install(app: web.Application, spec: Schema) -> None:
    """Serve `spec` at /openapi.json and the docs page at /docs."""
    app[SPEC] = spec
    app.router.add_get("/openapi.json", _openapi_json)
    app.router.add_get("/docs", _docs)


async def _openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[SPEC])


async def _docs(_request: web.Request) -> web.Response:
    return web.Response(text=_docs_page(), content_type="text/html")


@functools.cache
def _docs_page() -> str:
    return resources.files("orders").joinpath("static/docs.html").read_text(encoding="utf-8")
