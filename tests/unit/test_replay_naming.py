"""`--until` parsing, table names and keys, build bookkeeping."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from orders.errors import ReplayError
from orders.replay.build import lag, new_name
from orders.replay.until import Until, offset_ends, parse_until
from orders.status_store.tables import TableKeys, check_table_name

KEYS = TableKeys("ns")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", Until(offset=120)),
        (" 0 ", Until(offset=0)),
        ("2026-01-31T12:00:00Z", Until(at=datetime(2026, 1, 31, 12, tzinfo=UTC))),
        ("2026-01-31T12:00:00", Until(at=datetime(2026, 1, 31, 12, tzinfo=UTC))),  # UTC
        (
            "2026-01-31T13:00:00+01:00",
            Until(at=datetime(2026, 1, 31, 13, tzinfo=timezone(timedelta(hours=1)))),
        ),
        ("2026-01-31", Until(at=datetime(2026, 1, 31, tzinfo=UTC))),
    ],
)
def test_parse_until(text: str, expected: Until) -> None:
    assert parse_until(text) == expected


@pytest.mark.parametrize("text", ["", "-3", "yesterday", "12:00", "1.5", "0x10"])
def test_parse_until_refuses_what_is_neither(text: str) -> None:
    with pytest.raises(ReplayError, match="--until"):
        parse_until(text)


def test_offset_ends_are_inclusive_and_capped_at_the_log_end() -> None:
    assert offset_ends(Until(offset=9), {0: 100, 1: 4, 2: 0}) == {0: 10, 1: 4, 2: 0}
    assert offset_ends(Until(at=datetime.now(UTC)), {0: 100}) is None


def test_until_is_shown_as_given() -> None:
    assert str(Until(offset=7)) == "7"
    assert str(parse_until("2026-01-31T12:00:00Z")) == "2026-01-31T12:00:00+00:00"


def test_keys_of_a_namespace() -> None:
    assert (KEYS.pointer, KEYS.freeze, KEYS.legacy) == ("ns:status-table", "ns:status-freeze", "ns")
    assert KEYS.table("20260131T120000Z-ab12") == "ns:t:20260131T120000Z-ab12"
    assert KEYS.progress("then") == "ns:replay:then"


def test_table_names_round_trip() -> None:
    assert KEYS.name_of(KEYS.table("a.b_c-1")) == "a.b_c-1"
    assert KEYS.name_of("ns") is None  # the legacy table
    with pytest.raises(ReplayError):
        KEYS.name_of("other:t:x")


@pytest.mark.parametrize("name", ["", "a:b", "a*", "a?", "[a]", "a b", "x" * 81])
def test_names_that_would_break_keys_or_patterns_are_refused(name: str) -> None:
    with pytest.raises(ReplayError):
        check_table_name(name)


def test_drop_patterns_never_reach_beyond_the_table() -> None:
    # The legacy table's patterns leave the idempotency keys, the pointer and other tables.
    assert KEYS.patterns("ns") == [
        "ns:order:*",
        "ns:active",
        "ns:by-*",
        "ns:placed:*",
        "ns:moved:*",
    ]
    assert KEYS.patterns("ns:t:x") == ["ns:t:x:*"]
    with pytest.raises(ReplayError):
        KEYS.patterns("elsewhere")


def test_lag_counts_what_is_left_to_read() -> None:
    assert lag({0: 5, 1: 10}, {0: 8, 1: 10, 2: 4}) == 3 + 0 + 4
    assert lag({0: 9}, {0: 8}) == 0


def test_generation_names_sort_by_time_and_are_valid() -> None:
    name = new_name("verify-")
    assert name.startswith("verify-20")
    assert check_table_name(name) == name
    assert new_name() != new_name()
