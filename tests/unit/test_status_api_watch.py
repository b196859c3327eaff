"""GET /orders/{id}: ETag, conditional answers and long-polling (status_api/watch.py)."""

import asyncio

import pytest

from orders.domain.status import OrderStatus
from status_api.watch import BadQuery, parse_wait, tag_versions
from tests.unit.live_helpers import ORDER_ID, live_api
from tests.unit.stage_helpers import eventually

S = OrderStatus
URL = f"/orders/{ORDER_ID}"


async def test_every_answer_carries_the_version_as_etag() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        response = await live.client.get(URL)

        assert response.status == 200
        assert response.headers["ETag"] == '"3"'
        assert (await response.json())["version"] == 3


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({"If-None-Match": '"3"'}, "", 304),
        ({"If-None-Match": 'W/"3"'}, "", 304),
        ({"If-None-Match": '"1", "3"'}, "", 304),
        ({"If-None-Match": '"2"'}, "", 200),
        ({"If-None-Match": "*"}, "", 200),  # names no version
        ({}, "?since_version=3", 304),
        ({}, "?since_version=2", 200),
        ({"If-None-Match": '"2"'}, "?since_version=3", 304),  # since_version wins
    ],
)
async def test_conditional_answers(headers: dict[str, str], query: str, status: int) -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        response = await live.client.get(URL + query, headers=headers)

        assert response.status == status
        assert response.headers["ETag"] == '"3"'
        if status == 304:
            assert await response.read() == b""


async def test_a_plain_read_does_not_listen_to_the_change_feed() -> None:
    # Only waits listen: a process answering plain polls stays unsubscribed (status_api/feed.py).
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        reads = live.store.get

        async def read_and_check(order_id: str):  # type: ignore[no-untyped-def]
            assert not live.feed.listened
            return await reads(order_id)

        live.store.get = read_and_check  # type: ignore[method-assign]
        for query in ("", "?wait=0", "?since_version=3"):
            assert (await live.client.get(URL + query)).status in (200, 304)
        live.store.get = reads  # type: ignore[method-assign]
        waiting = asyncio.create_task(live.client.get(URL + "?wait=5&since_version=3"))
        await eventually(lambda: live.feed.listened)
        waiting.cancel()


async def test_long_poll_answers_when_the_order_changes() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        poll = asyncio.create_task(
            live.client.get(URL + "?wait=30", headers={"If-None-Match": '"3"'})
        )
        await live.until_waiting()
        assert not poll.done()
        await live.change(S.VALIDATED, 4)

        async with asyncio.timeout(5):
            response = await poll
        assert response.status == 200
        assert response.headers["ETag"] == '"4"'
        assert (await response.json())["status"] == "VALIDATED"


async def test_long_poll_ends_with_304_when_nothing_changes() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        response = await live.client.get(URL + "?wait=0.2&since_version=3")

        assert response.status == 304
        assert response.headers["ETag"] == '"3"'


async def test_a_newer_order_answers_at_once_despite_wait() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        async with asyncio.timeout(5):  # not the 60 s wait
            response = await live.client.get(URL + "?wait=60&since_version=2")
        assert response.status == 200


async def test_long_poll_waits_for_an_order_to_appear() -> None:
    async with live_api() as live:
        poll = asyncio.create_task(live.client.get(URL + "?wait=30"))
        await live.until_waiting()
        await live.change(S.PENDING, 3)

        async with asyncio.timeout(5):
            response = await poll
        assert response.status == 200
        assert response.headers["ETag"] == '"3"'


async def test_an_order_that_never_appears_is_404_after_the_wait() -> None:
    async with live_api() as live:
        response = await live.client.get(URL + "?wait=0.1")

        assert response.status == 404
        assert await response.json() == {"error": "order not found"}


async def test_other_orders_do_not_end_the_wait() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        poll = asyncio.create_task(live.client.get(URL + "?wait=0.3&since_version=3"))
        await live.change(S.PENDING, 1, order_id="01JD3Q7ZK5V9W8X2Y4N6M0P1RV")

        response = await poll
        assert response.status == 304


@pytest.mark.parametrize("wait", ["-1", "61", "abc", "nan", "inf", ""])
async def test_bad_wait_is_400(wait: str) -> None:
    async with live_api() as live:
        response = await live.client.get(f"{URL}?wait={wait}")

        assert response.status == 400
        assert await response.json() == {"error": "wait must be a number of seconds from 0 to 60"}


# "\u0661": an Arabic-Indic digit one, a digit to str.isdigit()
@pytest.mark.parametrize("since", ["-1", "1.5", "x", "", "\u0661"])
async def test_bad_since_version_is_400(since: str) -> None:
    async with live_api() as live:
        response = await live.client.get(URL, params={"since_version": since})

        assert response.status == 400
        assert "since_version must be a non-negative integer" in (await response.json())["error"]


def test_parse_wait_and_tags() -> None:
    assert parse_wait(None) == 0
    assert parse_wait("0") == 0
    assert parse_wait("60") == 60
    assert parse_wait("2.5") == 2.5
    with pytest.raises(BadQuery):
        parse_wait("60.01")
    assert tag_versions('"7", W/"9", "x", *, "", 12') == [7, 9]


async def test_shutdown_ends_waiting_polls_at_once() -> None:
    async with live_api() as live:
        await live.change(S.PENDING, 3)
        poll = asyncio.create_task(live.client.get(URL + "?wait=60&since_version=3"))
        await live.until_waiting()
        assert live.client.app is not None
        await live.client.app.shutdown()

        async with asyncio.timeout(5):
            response = await poll
        assert response.status == 304
