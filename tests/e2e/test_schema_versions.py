"""A mixed-version order log through the real pipeline: v1 OrderPlaced events published straight
to the order topic (as a v1 front door wrote them) and v2 orders through today's front door all
complete; the workers answer every order with v2 events; a version from the future is
dead-lettered by every stage with a clear error."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
from confluent_kafka import Consumer
from ulid import ULID

from orderflow.client import OrderflowClient, order_body
from orderflow.stack import LocalStack
from orderflow.stock import set_stock
from orders.contracts.topics import Topics
from orders.settings import Settings
from tests.e2e.conftest import StackFactory
from tests.e2e.test_poison import STAGES, publish_raw, read_dead_letters
from tests.fixtures.events_v1 import ORDER_EVENTS, as_json

V1_TEMPLATE = as_json(ORDER_EVENTS[0])  # an OrderPlaced as the v1 front door wrote it


def v1_order_placed(order_id: str, sku: str, token: str, version: int = 1) -> bytes:
    """A v1 OrderPlaced for a new order: the fixture's event with new values, same layout."""
    data = {
        **V1_TEMPLATE,
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "schema_version": version,
        "order_id": order_id,
        "items": [{"sku": sku, "quantity": 2, "unit_price": "1.25"}],
        "payment_token": token,
        "total": "2.50",
    }
    return json.dumps(data, separators=(",", ":")).encode()


def written_versions(settings: Settings, order_ids: set[str], count: int) -> dict[str, set[Any]]:
    """(type -> schema versions) of the order events on the log for `order_ids`, once `count`
    distinct events of theirs were read (or after a deadline)."""
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"{settings.topic_prefix}-version-reader",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })  # fmt: skip
    consumer.subscribe([Topics.from_settings(settings).order_events.name])
    seen: dict[str, tuple[str, Any]] = {}
    deadline = time.monotonic() + 60
    try:
        while len(seen) < count and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=200, timeout=1):
                assert message.error() is None, message.error()
                data = json.loads(message.value())
                if data.get("order_id") in order_ids:
                    seen[data["event_id"]] = (data["type"], data.get("schema_version"))
    finally:
        consumer.close()
    versions: dict[str, set[Any]] = {}
    for kind, version in seen.values():
        versions.setdefault(kind, set()).add(version)
    return versions


async def test_v1_and_v2_orders_complete_side_by_side(stack_factory: StackFactory) -> None:
    stack: LocalStack = stack_factory()
    settings = stack.settings
    orders_topic = Topics.from_settings(settings).order_events.name
    sku = f"{settings.topic_prefix}-A"
    await set_stock(settings, {sku: 100})
    v1 = {str(ULID()): token for token in ["tok_visa"] * 8 + ["tok_decline"] * 2}
    future = str(ULID())
    records = [(orders_topic, o.encode(), v1_order_placed(o, sku, t)) for o, t in v1.items()]
    records.append((orders_topic, future.encode(), v1_order_placed(future, sku, "tok_visa", 3)))

    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        sent = asyncio.create_task(asyncio.to_thread(publish_raw, settings, records))
        v2 = [await client.place(order_body([(sku, 2, "1.25")])) for _ in range(10)]
        await sent
        ids = [*v1, *(p.order_id for p in v2)]
        finals = await asyncio.gather(*(client.wait_terminal(o, within=120) for o in ids))
        missing_future = await client.order(future)

    final = dict(zip(ids, finals, strict=True))
    for order_id in ids:
        expected = "PAYMENT_DECLINED" if v1.get(order_id) == "tok_decline" else "COMPLETED"
        assert final[order_id]["status"] == expected, final[order_id]
        assert final[order_id]["total"] == "2.50", final[order_id]
    assert missing_future is None  # never projected: poison

    # placed, validated, line reserved, reserved, paid or declined, (completed): 8 * 6 + 2 * 5
    versions = await asyncio.to_thread(written_versions, settings, set(v1), 58)
    assert versions["OrderPlaced"] == {1}  # what the v1 writer put there stays
    assert versions["OrderValidated"] == {2}  # every writer now emits the newest version
    assert versions["StockReserved"] == {2}

    expected = {(future.encode(), stage) for stage in STAGES["order-events"]}
    letters = await asyncio.to_thread(read_dead_letters, settings, expected)
    assert expected <= set(letters), f"missing dead letters: {expected - set(letters)}"
    for (key, _), (_, _, failure) in letters.items():
        assert key == future.encode()
        assert failure.error_class == "DecodeError"
        assert "schema_version 3 is newer than this reader knows (up to 2)" in (
            failure.error_message
        )
