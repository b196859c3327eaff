"""Event streams (status_api/sse.py, status_api/streams.py) and GET /orders, GET /stats."""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from orders.domain.status import OrderStatus
from orders.status_store.queries import BadCursor, Cursor
from status_api import sse
from tests.unit.live_helpers import ORDER_ID, OTHER_ID, live_api
from tests.unit.stage_helpers import eventually

S = OrderStatus


def test_event_format() -> None:
    assert sse.event({"a": "é\n"}, kind="status", event_id=7) == (
        'id: 7\nevent: status\ndata: {"a":"é\\n"}\n\n'.encode()
    )
    assert sse.event([1]) == b"data: [1]\n\n"
    assert sse.comment("heartbeat") == b": heartbeat\n\n"
    assert sse.retry(2000) == b"retry: 2000\n\n"


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    """The next `count` events (comments skipped) as {field: value} with data decoded."""
    found: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    async with asyncio.timeout(5):
        while len(found) < count:
            line = (await response.content.readline()).decode()
            assert line, "the stream ended"
            line = line.rstrip("\n")
            if line == "":
                if "data" in fields:
                    fields["data"] = json.loads(fields["data"])
                    found.append(fields)
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return found


async def test_order_stream_sends_each_change_then_ends_after_a_terminal_one() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        response = await live.client.get(f"/orders/{ORDER_ID}/events")
        assert response.headers["Content-Type"].startswith("text/event-stream")
        first = await read_events(response, 1)
        await live.change(S.VALIDATED, 5)
        await live.change(S.REJECTED, 8, reason="no")
        rest = await read_events(response, 2)

        assert [(e["id"], e["event"], e["data"]["status"]) for e in first + rest] == [
            ("3", "status", "PENDING"),
            ("5", "status", "VALIDATED"),
            ("8", "status", "REJECTED"),
        ]
        assert rest[-1]["data"]["reason"] == "no"
        assert rest[-1]["data"]["ref"] == ORDER_ID[-5:]
        async with asyncio.timeout(5):
            assert await response.content.read() == b""  # closed after the terminal status


async def test_order_stream_resumes_after_last_event_id() -> None:
    async with live_api() as live:
        for version, status in enumerate([S.PENDING, S.VALIDATED, S.RESERVED], start=1):
            await live.change(status, version)
        response = await live.client.get(
            f"/orders/{ORDER_ID}/events", headers={"Last-Event-ID": "1"}
        )
        events = await read_events(response, 2)

        assert [e["id"] for e in events] == ["2", "3"]
        response.close()


async def test_order_stream_heartbeats_while_idle() -> None:
    async with live_api(status_api_heartbeat_s=0.05) as live:
        await live.change(S.PENDING, 1)
        response = await live.client.get(f"/orders/{ORDER_ID}/events")
        async with asyncio.timeout(5):
            while (await response.content.readline()) != b": heartbeat\n":
                pass
        response.close()


async def test_order_stream_bad_last_event_id_is_400() -> None:
    async with live_api() as live:
        response = await live.client.get(
            f"/orders/{ORDER_ID}/events", headers={"Last-Event-ID": "x"}
        )
        assert response.status == 400


async def test_order_stream_blank_last_event_id_is_no_id() -> None:
    # Found by the API fuzzer: "   " was refused (400) although "" means no id.
    async with live_api() as live:
        await live.change(S.PENDING, 1)
        response = await live.client.get(
            f"/orders/{ORDER_ID}/events", params={"last_event_id": "   "}
        )
        events = await read_events(response, 1)

        assert [e["id"] for e in events] == ["1"]
        response.close()


async def test_all_orders_stream() -> None:
    async with live_api() as live:
        response = await live.client.get("/events")
        async with asyncio.timeout(5):
            assert await response.content.readline() == b"retry: 2000\n"
        await eventually(lambda: live.feed.streaming == 1)
        await live.change(S.PENDING, 1)
        await live.change(S.PENDING, 2, order_id=OTHER_ID)

        events = await read_events(response, 2)

        assert [(e["data"]["order_id"], e["data"]["status"]) for e in events] == [
            (ORDER_ID, "PENDING"),
            (OTHER_ID, "PENDING"),
        ]
        response.close()


def test_cursor_round_trip_and_refusals() -> None:
    cursor = Cursor("1735787045.123456", ORDER_ID)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "!!!", "bm9wZQ", Cursor("nan", ORDER_ID).encode(), Cursor("1", "a:b").encode()]:
        with pytest.raises(BadCursor):
            Cursor.decode(bad)


async def test_list_pages_and_parameters() -> None:
    async with live_api() as live:
        for n, order_id in enumerate([ORDER_ID, OTHER_ID]):
            await live.change(S.PENDING, n + 1, order_id=order_id)
        first = await (await live.client.get("/orders?limit=1")).json()
        second = await (
            await live.client.get(f"/orders?limit=1&cursor={first['next_cursor']}")
        ).json()
        pending = await (await live.client.get("/orders?status=PENDING")).json()

        assert [o["order_id"] for o in first["orders"]] == [OTHER_ID]
        assert [o["order_id"] for o in second["orders"]] == [ORDER_ID]
        assert second["next_cursor"] is None
        assert len(pending["orders"]) == 2
        assert first["orders"][0]["ref"] == OTHER_ID[-5:]
        for query in ["limit=0", "limit=101", "limit=x", "status=NOPE", "cursor=zzz"]:
            response = await live.client.get(f"/orders?{query}")
            assert response.status == 400, query
            assert "error" in await response.json()


async def test_stats() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 1)
        body = await (await live.client.get("/stats")).json()

        assert body["orders_by_status"]["PENDING"] == 1
        assert body["orders_by_status"]["COMPLETED"] == 0
        assert set(body) == {
            "orders_by_status",
            "orders_by_stage",
            "placed_last_minute",
            "placed_per_second",
            "change_feed",
        }


async def test_board_page_and_its_files() -> None:
    async with live_api() as live:
        page = await live.client.get("/board")
        script = await live.client.get("/board/static/board.js")
        style = await live.client.get("/board/static/board.css")

        assert page.status == 200
        assert page.content_type == "text/html"
        html = await page.text()
        for needed in ('id="preparing"', 'id="ready"', 'id="failed"', "/board/static/board.js"):
            assert needed in html
        assert script.status == 200
        code = await script.text()
        assert "new EventSource(EVENTS_URL)" in code
        assert ': "/events"' in code  # EVENTS_URL without a token
        assert style.status == 200
        assert "http" not in html + await style.text()  # nothing from another site (no CDN)


async def test_board_files_that_do_not_exist_are_json_404s() -> None:
    # Found by the API fuzzer: add_static answered an empty application/octet-stream 404.
    async with live_api() as live:
        for path in ("/board/static/0", "/board/static/index.html", "/board/static/..%2Fapp.py"):
            response = await live.client.get(path)

            assert response.status == 404, path
            assert (await response.json())["error"]
