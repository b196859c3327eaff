"""Both services' OpenAPI documents: valid OpenAPI 3.1, one entry per route, served as built."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from orders.settings import Settings
from orders.status_store.memory import InMemoryStatusStore
from producer.app import create_app as front_door
from producer.idempotency.memory import InMemoryIdempotencyStore
from producer.openapi import openapi_spec as front_door_spec
from producer.publisher import RecordingPublisher
from producer.schemas import PlaceOrder
from status_api.app import create_app as status_api
from status_api.openapi import openapi_spec as status_api_spec

SETTINGS = Settings.model_validate({})


def apps() -> Iterator[tuple[web.Application, dict[str, Any]]]:
    store = InMemoryStatusStore()
    keys = InMemoryIdempotencyStore(ttl_s=60, lease_s=10)
    yield front_door(SETTINGS, RecordingPublisher(), keys, store), front_door_spec(SETTINGS)
    yield status_api(SETTINGS, store), status_api_spec()


@pytest.mark.parametrize(("app", "spec"), list(apps()), ids=["front door", "status API"])
def test_documents_are_valid_openapi_3(app: web.Application, spec: dict[str, Any]) -> None:
    validate(spec)  # raises OpenAPIValidationError with the offending path


@pytest.mark.parametrize(("app", "spec"), list(apps()), ids=["front door", "status API"])
def test_every_route_is_documented_and_every_documented_route_exists(
    app: web.Application, spec: dict[str, Any]
) -> None:
    routes = {
        (route.resource.canonical, route.method)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"  # aiohttp adds HEAD to GET
    }
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    assert routes == documented


@pytest.mark.parametrize(("app", "spec"), list(apps()), ids=["front door", "status API"])
def test_every_operation_documents_its_answers(app: web.Application, spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], f"{method} {path}"
            for status, response in operation["responses"].items():
                if status != "304":
                    assert response["content"], f"{method} {path} {status} has no body"
                if status == "503" and path.startswith("/orders"):
                    assert "Retry-After" in response["headers"], f"{method} {path}"


def test_order_body_schema_comes_from_the_request_model() -> None:
    schemas = front_door_spec(SETTINGS)["components"]["schemas"]
    generated = PlaceOrder.model_json_schema(ref_template="#/components/schemas/{model}")
    generated.pop("$defs")
    assert schemas["PlaceOrder"] == generated
    assert schemas["LineRequest"]["properties"]["quantity"]["minimum"] == 1


@pytest.mark.parametrize(("app", "spec"), list(apps()), ids=["front door", "status API"])
async def test_the_document_and_its_page_are_served(
    app: web.Application, spec: dict[str, Any]
) -> None:
    async with TestClient(TestServer(app)) as client:
        served = await client.get("/openapi.json")
        assert served.status == 200
        assert await served.json() == spec

        page = await client.get("/docs")
        assert page.status == 200
        assert page.content_type == "text/html"
        html = await page.text()
    assert 'fetch("openapi.json")' in html
    # Self-contained: nothing loaded from elsewhere (no CDN, no fonts).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
