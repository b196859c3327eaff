"""Idempotency-Key support for POST /orders: the store port, its adapters, and PlaceOnce."""

from producer.idempotency.keys import HEADER, REPLAYED_HEADER, InvalidKey, fingerprint, parse_key
from producer.idempotency.port import (
    Busy,
    Claim,
    Claimed,
    Done,
    IdempotencyStore,
    Mismatch,
    StoredResponse,
)

__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "Busy",
    "Claim",
    "Claimed",
    "Done",
    "IdempotencyStore",
    "InvalidKey",
    "Mismatch",
    "StoredResponse",
    "fingerprint",
    "parse_key",
]
