"""The change log: the change feed's recent notes, kept so an event stream can resume.

The status table's writer (APPLY, redis_scripts.py) appends every note it publishes to a Redis
stream ``{ns}:changes:log`` (``XADD ... MAXLEN ~ N * note <json>``) in the same atomic step,
and publishes the note with the entry's id. So a client of GET /events that kept the last id
it saw can ask for every change after it (`since`), as long as the log still holds that id:
trimming drops the oldest entries first, so when the id itself is still there, nothing after
it is gone. When it is not (trimmed, malformed, or from a Redis that lost its data), nothing
can be resumed and the client must start over.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from redis.asyncio import Redis

from orders.errors import DecodeError
from orders.redis_support import text, unavailable_on_redis_errors
from orders.status_store.change_feed import FeedMessage, decode_feed_message

log = logging.getLogger(__name__)

DEFAULT_CHANGE_LOG_LEN = 10_000
PAGE = 500  # entries per XRANGE call
_ID = re.compile(r"^([0-9]{1,20})-([0-9]{1,20})$")
_MAX = 2**64 - 1


def parse_id(raw: str) -> tuple[int, int]:
    """A stream entry id as (milliseconds, sequence), which orders like the ids; ValueError
    when `raw` is not one."""
    match = _ID.match(raw)
    if match is None or int(match[1]) > _MAX or int(match[2]) > _MAX:
        raise ValueError(f"not a change log id: {raw[:60]!r}")
    return int(match[1]), int(match[2])


def is_after(candidate: str, last: str) -> bool:
    """Whether the entry id `candidate` comes after `last` (both well-formed)."""
    return parse_id(candidate) > parse_id(last)


class LoggedChange(NamedTuple):
    id: str
    message: FeedMessage


@dataclass(frozen=True)
class Resumption:
    """What the log holds after a client's last id."""

    found: bool  # the id is in the log: `changes` are all that came after it
    changes: list[LoggedChange]  # oldest first ([] when not found)
    tail: str  # the log's newest id, '' when the log is empty


class ChangeLog(Protocol):
    async def since(self, last: str) -> Resumption:
        """The changes after the entry `last`. Raises StoreUnavailable."""
        ...


class RedisChangeLog:
    """The change log on a client the caller owns (the status store's)."""

    def __init__(self, client: Redis, key: str) -> None:
        self._redis = client
        self.key = key

    async def since(self, last: str) -> Resumption:
        try:
            ms, seq = parse_id(last)
        except ValueError:
            return Resumption(False, [], await self._tail())
        last = f"{ms}-{seq}"  # as Redis spells it (no leading zeros)
        changes: list[LoggedChange] = []
        start, tail, first = last, last, True  # the first page includes `last`: is it there?
        while True:
            with unavailable_on_redis_errors("xrange"):
                page = await self._redis.xrange(self.key, start, "+", count=PAGE)
            ids = _entries(page)
            full = len(ids) == PAGE
            if first:
                if not ids or ids[0][0] != last:
                    return Resumption(False, [], await self._tail())
                ids, first = ids[1:], False
            changes += [c for c in (_logged(i, fields) for i, fields in ids) if c is not None]
            tail = ids[-1][0] if ids else tail
            if not full:
                return Resumption(True, changes, tail)
            start = f"({tail}"

    async def _tail(self) -> str:
        with unavailable_on_redis_errors("xrevrange"):
            newest = await self._redis.xrevrange(self.key, "+", "-", count=1)
        entries = _entries(newest)
        return entries[0][0] if entries else ""


def _entries(reply: Any) -> list[tuple[str, Mapping[Any, Any]]]:
    """XRANGE's reply as (id, fields) pairs."""
    return [(text(entry_id), fields or {}) for entry_id, fields in reply or []]


def _logged(entry_id: str, fields: Mapping[Any, Any]) -> LoggedChange | None:
    note = fields.get("note", fields.get(b"note", b""))
    try:
        message = decode_feed_message(note)
    except DecodeError as e:  # (skipped, as the live feed skips it)
        log.warning("change log entry %s: %s", entry_id, e)
        return None
    return LoggedChange(entry_id, message.model_copy(update={"id": entry_id}))
