"""Order ids: ULIDs, 26 characters of Crockford base32 that sort by creation time."""

import re
from datetime import UTC, datetime

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # Crockford base32: no I, L, O or U
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TIME_CHARS = 10  # a ULID's first 10 characters: milliseconds since the epoch


def normalise_order_id(raw: str) -> str | None:
    """The canonical (upper-case) order id, or None when `raw` is not one."""
    order_id = raw.upper()
    return order_id if _ULID.fullmatch(order_id) else None


SHORT_REF_LENGTH = 5


def short_ref(order_id: str) -> str:
    """The number a pickup screen shows: the id's last 5 characters. They are its random part
    (a ULID's first 10 characters are its time), so two orders on one screen share one with a
    chance of about 1 in 33 million, and Crockford base32 has no I, L, O or U to misread."""
    return order_id[-SHORT_REF_LENGTH:]


def issued_at(order_id: str) -> datetime:
    """When a (canonical) order id was made: the time part of its ULID."""
    millis = 0
    for char in order_id[:_TIME_CHARS]:
        millis = millis * 32 + _CROCKFORD.index(char)
    return datetime.fromtimestamp(millis / 1000, UTC)
