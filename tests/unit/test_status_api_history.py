"""History items of GET /orders/{id} carry their version; entries recorded before versions
existed answer null, which the OpenAPI document allows."""

from datetime import UTC, datetime

import jsonschema
from aiohttp.test_utils import TestClient, TestServer
from fakeredis.aioredis import FakeRedis

from orders.domain.status import OrderStatus
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store.redis import RedisStatusStore
from status_api.app import create_app
from status_api.openapi import openapi_spec

ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


async def test_history_versions_and_old_entries_without_one() -> None:
    redis = FakeRedis(decode_responses=True)
    store = RedisStatusStore(redis, "ns")
    assert await store.apply(
        StatusChange(order_id=ORDER_ID, status=OrderStatus.PENDING, version=3, at=T0)
    )
    old_entry = '{"status": "VALIDATED", "at": "2025-01-02T03:04:06+00:00", "reason": null}'
    await redis.rpush(f"ns:order:{ORDER_ID}:history", old_entry)
    client = TestClient(TestServer(create_app(Settings(redis_namespace="ns"), store=store)))
    await client.start_server()
    try:
        response = await client.get(f"/orders/{ORDER_ID}")
        history = (await response.json())["history"]
    finally:
        await client.close()
        await store.close()

    assert [(h["status"], h["version"]) for h in history] == [("PENDING", 3), ("VALIDATED", None)]
    schema = openapi_spec()["components"]["schemas"]["StatusChange"]
    for item in history:
        jsonschema.validate(item, schema)
    jsonschema.validate({**history[0], "version": None}, schema)
