"""What makes two requests "the same": the Idempotency-Key header and the body's fingerprint."""

import hashlib
import json
import re
from decimal import Decimal

from producer.schemas import PlaceOrder

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

_VISIBLE_ASCII = re.compile(rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$")


class InvalidKey(ValueError):
    """The Idempotency-Key header is not 1..255 visible ASCII characters (answered with 400)."""


def parse_key(values: list[str]) -> str | None:
    """The request's Idempotency-Key from all its header values; None when there is none."""
    if not values:
        return None
    if len(values) > 1:
        raise InvalidKey(f"send one {HEADER} header, not {len(values)}")
    if not _VISIBLE_ASCII.fullmatch(values[0]):
        raise InvalidKey(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces)"
        )
    return values[0]


def key_digest(key: str) -> str:
    """A fixed-length name for a key: clients choose keys, so they never become Redis keys."""
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(order: PlaceOrder) -> str:
    """sha256 of the validated order as canonical JSON: key order, whitespace and the spelling
    of numbers (19.9, "19.90") do not change it, any change of meaning does."""
    canonical = json.dumps(
        order.model_dump(mode="python"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_canonical,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize() + 0)  # equal amounts, one spelling ("+ 0" turns -0 into 0)
    raise TypeError(f"no canonical JSON form for {type(value).__name__}")
