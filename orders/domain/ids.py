"""Order ids: ULIDs, 26 characters of Crockford base32 that sort by creation time."""

import re

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # Crockford base32: no I, L, O or U


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
