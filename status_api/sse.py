"""Server-Sent Events on aiohttp: the wire format and a response that writes it.

An event is lines of `field: value` ended by an empty line; a line starting with ':' is a
comment (our heartbeat, which keeps proxies and clients from timing the stream out). `id:` is
what a reconnecting EventSource sends back as `Last-Event-ID`.
"""

import json
from typing import Any

from aiohttp import web

HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # reverse proxies (nginx) must not buffer the stream
}


def event(data: Any, *, kind: str | None = None, event_id: int | str | None = None) -> bytes:
    """One event; `data` is sent as JSON on one line (JSON never needs a raw newline).
    `event_id` '' sends an empty `id:`, which makes the client forget its last id."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if kind is not None:
        lines.append(f"event: {kind}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


def comment(text: str) -> bytes:
    return "".join(f": {line}\n" for line in text.splitlines() or [""]).encode() + b"\n"


def retry(milliseconds: int) -> bytes:
    """How long a client waits before it reconnects."""
    return f"retry: {milliseconds}\n\n".encode()


def last_event_text(request: web.Request) -> str | None:
    """The `Last-Event-ID` header (or `?last_event_id=`, for clients that cannot set headers);
    None when absent or blank (a blank id is no id)."""
    raw = request.headers.get("Last-Event-ID", request.query.get("last_event_id"))
    raw = (raw or "").strip(" ")
    return raw or None


def last_event_id(request: web.Request) -> int | None:
    """The last event id as a version; ValueError when it is not one."""
    raw = last_event_text(request)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError("Last-Event-ID must be a version (a non-negative integer)")
    return int(raw)


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers=HEADERS)
    await response.prepare(request)
    return response
