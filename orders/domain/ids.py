"""Order ids: ULIDs, 26 characters of Crockford base32 that sort by creation time."""

import re

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # Crockford base32: no I, L, O or U


def normalise_order_id(raw: str) -> str | None:
    """The canonical (upper-case) order id, or None when `raw` is not one."""
    order_id = raw.upper()
    return order_id if _ULID.fullmatch(order_id) else None
