"""A status API over the in-memory store whose changes the test announces itself."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orders.domain.status import OrderStatus
from orders.settings import Settings
from orders.status_store import StatusChange
from orders.status_store.change_feed import FeedMessage
from orders.status_store.memory import InMemoryStatusStore
from status_api.app import create_app
from status_api.feed import ChangeFeed
from status_api.watch import FEED
from tests.unit.stage_helpers import eventually

ORDER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RT"
OTHER_ID = "01JD3Q7ZK5V9W8X2Y4N6M0P1RV"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

Client = TestClient[web.Request, web.Application]


class Live:
    """The app's store and feed: `change()` writes a status change and announces it, as the
    projection's Lua does."""

    def __init__(self, client: Client, store: InMemoryStatusStore) -> None:
        self.client = client
        self.store = store

    async def change(
        self, status: OrderStatus, version: int, order_id: str = ORDER_ID, reason: str | None = None
    ) -> None:
        at = T0 + timedelta(seconds=version)
        written = await self.store.apply(
            StatusChange(
                order_id=order_id,
                status=status,
                version=version,
                at=at,
                reason=reason,
                total=Decimal("5.50") if status is OrderStatus.PENDING else None,
            )
        )
        assert written, (status, version)
        self.feed.publish(
            FeedMessage(order_id=order_id, version=version, status=status, reason=reason)
        )

    @property
    def feed(self) -> ChangeFeed:
        assert self.client.app is not None
        return self.client.app[FEED]

    async def until_waiting(self, count: int = 1) -> None:
        """Until `count` requests wait on the feed (a poll has read the order and waits)."""
        await eventually(lambda: self.feed.waiting >= count)


@asynccontextmanager
async def live_api(**overrides: object) -> AsyncIterator[Live]:
    store = InMemoryStatusStore()
    settings = Settings.model_validate(overrides)
    client: Client = TestClient(TestServer(create_app(settings, store=store)))
    await client.start_server()
    try:
        yield Live(client, store)
    finally:
        await client.close()
