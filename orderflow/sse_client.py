"""Reading a Server-Sent Events stream with aiohttp (for `orderflow status --follow` and tests)."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Event:
    kind: str  # the `event:` field ("message" when absent)
    data: Any  # the `data:` field, decoded from JSON
    event_id: str | None


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[Event]:
    """The stream's events in order, until the server closes it; comments are skipped."""
    fields: dict[str, list[str]] = {}
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line == "":
            if "data" in fields:
                yield Event(
                    kind=fields.get("event", ["message"])[-1],
                    data=json.loads("\n".join(fields["data"])),
                    event_id=fields["id"][-1] if "id" in fields else None,
                )
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
