"""GET /events: every order's changes, for screens such as /board; resumable with Last-Event-ID.

Each event's id is the change's entry in the change log (orders/status_store/change_log.py). A
client that comes back with `Last-Event-ID` first gets the changes after that id from the log,
then the live ones. To lose none and repeat none in between, the stream registers with the
change feed (which buffers what arrives) *before* it reads the log, and then drops the buffered
changes the log already gave it. When the log no longer holds the id (trimmed, malformed, or
Redis lost its data), the stream sends `event: reset` (the client reads GET /orders again),
whose id is the log's newest, and goes on live from there.

A stream that falls behind, or whose process lost the feed for a while (a Redis reconnect), is
closed: the client reconnects with its last id and resumes from the log. The process subscribes
to the feed only while somebody listens (status_api/feed.py), so a stream first waits for the
subscription, then reads the log.
"""

import logging
from typing import Any

from aiohttp import web

from orders.domain.ids import short_ref
from orders.status_store.change_feed import FeedMessage
from orders.status_store.change_log import ChangeLog, Resumption, is_after
from status_api import sse
from status_api.feed import ChangeFeed, ChangeStream
from status_api.streams import HEARTBEAT_S, RETRY_MS
from status_api.watch import FEED

log = logging.getLogger(__name__)

CHANGE_LOG: web.AppKey[ChangeLog] = web.AppKey("change_log")
SUBSCRIBE_WAIT_S = 2.0  # how long a new stream waits for the feed's subscription
RESET = {"reason": "the changes after Last-Event-ID are no longer kept: read GET /orders again"}


def feed_json(message: FeedMessage) -> dict[str, Any]:
    return {
        "order_id": message.order_id,
        "ref": short_ref(message.order_id),
        "status": message.status.value,
        "reason": message.reason,
        "version": message.version,
    }


async def all_events(request: web.Request) -> web.StreamResponse:
    feed, heartbeat_s = request.app[FEED], request.app[HEARTBEAT_S]
    last = sse.last_event_text(request)
    with feed.stream() as stream:  # before the log is read: a change in between is buffered
        # The feed subscribes on demand: wait for it, so its first resync does not cut off
        # this stream, then read the log. (With Redis away, go on: a later resync will.)
        await feed.subscribed(SUBSCRIBE_WAIT_S)
        stream.start()
        resumption = None if last is None else await _resumption(request.app, last)
        response = await sse.open_stream(request)
        try:
            await response.write(sse.retry(RETRY_MS))
            await response.write(sse.comment("connected"))
            if resumption is not None:
                last = await _send_backlog(response, resumption)
            await _send_live(response, feed, stream, last, heartbeat_s)
        except ConnectionResetError as e:
            log.debug("all-orders event stream ends: %s", e)
    return response


async def _resumption(app: web.Application, last: str) -> Resumption:
    change_log = app.get(CHANGE_LOG)
    if change_log is None:  # (an app on a store without a log, in tests): start over
        return Resumption(found=False, changes=[], tail="")
    return await change_log.since(last)


async def _send_backlog(response: web.StreamResponse, resumption: Resumption) -> str:
    """Send what the client missed (or `reset`); the id of the last change it now has."""
    if not resumption.found:
        await response.write(sse.event(RESET, kind="reset", event_id=resumption.tail))
    for change in resumption.changes:
        data = feed_json(change.message)
        await response.write(sse.event(data, kind="status", event_id=change.id))
    return resumption.tail


async def _send_live(
    response: web.StreamResponse,
    feed: ChangeFeed,
    stream: ChangeStream,
    last: str | None,
    heartbeat_s: float,
) -> None:
    while not stream.lost and not feed.closing:
        batch = await stream.next(heartbeat_s)
        if not batch and not stream.lost:
            await response.write(sse.comment("heartbeat"))
        for message in batch:
            if message.id is not None:
                if last and not is_after(message.id, last):
                    continue  # sent from the log already
                last = message.id
            data = feed_json(message)
            await response.write(sse.event(data, kind="status", event_id=message.id))
