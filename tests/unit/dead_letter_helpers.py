"""Builders for the dead-letter tooling tests: dead letters as they come off the topic."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from orderflow.records import RawRecord
from orders.contracts.dead_letters import Failure, dead_letter_headers

T0 = datetime(2026, 11, 21, 2, 45, 8, tzinfo=UTC)
DLT = "p.dead-letters"
ORDERS = "p.order-events"
STOCK = "p.stock"


def letter(
    stage: str,
    *,
    topic: str = ORDERS,
    partition: int = 3,
    offset: int = 42,
    value: bytes | None = b'{"type": "OrderPlaced", "event_id": "ev-1", "order_id": "o1"}',
    key: bytes | None = b"o1",
    at: int = 0,
    error: str = "DecodeError",
    original_headers: Sequence[tuple[str, bytes]] = (),
    dlt_offset: int = 0,
) -> RawRecord:
    failure = Failure(
        stage=stage, error_class=error, error_message="boom", topic=topic, partition=partition,
        offset=offset, attempts=1 if error == "DecodeError" else 3,
        first_failed_at=T0 + timedelta(seconds=at),
    )  # fmt: skip
    headers = dead_letter_headers(failure, list(original_headers))
    return RawRecord(DLT, 0, dlt_offset, key, value, headers, 0)
