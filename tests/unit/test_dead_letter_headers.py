"""The dead-letter headers: names, formats, truncation, and reading them back."""

from datetime import UTC, datetime, timedelta, timezone

from orders.contracts import dead_letters
from orders.contracts.dead_letters import MAX_MESSAGE_CHARS, Failure, dead_letter_headers

FAILURE = Failure(
    stage="payment",
    error_class="KeyError",
    error_message="'total'",
    topic="p.order-events",
    partition=4,
    offset=1234567890123,
    attempts=3,
    first_failed_at=datetime(2026, 11, 21, 2, 45, 8, 867428, tzinfo=UTC),
)


def test_headers_are_prefixed_utf8_strings() -> None:
    headers = dict(FAILURE.headers())
    assert headers == {
        "orderflow.stage": b"payment",
        "orderflow.error.class": b"KeyError",
        "orderflow.error.message": b"'total'",
        "orderflow.original.topic": b"p.order-events",
        "orderflow.original.partition": b"4",
        "orderflow.original.offset": b"1234567890123",
        "orderflow.attempts": b"3",
        "orderflow.first-failed-at": b"2026-11-21T02:45:08.867428Z",
    }
    assert all(name.startswith(dead_letters.PREFIX) for name in headers)


def test_first_failed_at_is_written_in_utc() -> None:
    local = FAILURE.first_failed_at.astimezone(timezone(timedelta(hours=-5)))
    failure = Failure(**{**FAILURE.__dict__, "first_failed_at": local})
    assert dict(failure.headers())[dead_letters.FIRST_FAILED_AT] == b"2026-11-21T02:45:08.867428Z"


def test_a_long_error_message_is_truncated() -> None:
    failure = Failure(**{**FAILURE.__dict__, "error_message": "é" * 10_000})
    message = dict(failure.headers())[dead_letters.ERROR_MESSAGE].decode()
    assert len(message) == MAX_MESSAGE_CHARS
    assert message.endswith("…")


def test_headers_read_back_into_the_same_failure() -> None:
    assert Failure.from_headers([("other", b"x"), *FAILURE.headers()]) == FAILURE


def test_original_headers_are_kept_but_earlier_failures_replaced() -> None:
    earlier = Failure(**{**FAILURE.__dict__, "stage": "validation", "attempts": 1}).headers()
    original = [("traceparent", b"00-abc"), *earlier]
    headers = dead_letter_headers(FAILURE, original)
    assert headers[0] == ("traceparent", b"00-abc")
    assert Failure.from_headers(headers) == FAILURE
    assert len(headers) == 1 + len(FAILURE.headers())


def test_a_redriven_records_trail_survives_its_next_dead_letter() -> None:
    original = [(dead_letters.REDRIVEN_FROM, b"p.order-events:4:17")]
    headers = dead_letter_headers(FAILURE, original)
    assert headers[0] == (dead_letters.REDRIVEN_FROM, b"p.order-events:4:17")
    assert Failure.from_headers(headers) == FAILURE
