"""Dead letters grouped per original record, their ids, and choosing what to redrive."""

import pytest

from orderflow.dead_letters.groups import RecordId, UnknownIds, group_letters, narrow, select
from orderflow.records import RawRecord
from orders.contracts.dead_letters import REDRIVEN_FROM
from tests.unit.dead_letter_helpers import DLT, ORDERS, STOCK, T0, letter

SIX = ["validation", "reservation", "cancellation-intake", "payment", "fulfilment", "projection"]


def test_the_six_letters_of_one_poison_record_form_one_group() -> None:
    records = [letter(stage, dlt_offset=i, at=i) for i, stage in enumerate(SIX)]
    (group,) = group_letters(records)
    assert group.id == RecordId(ORDERS, 3, 42)
    assert str(group.id) == f"{ORDERS}:3:42"
    assert group.stages == sorted(SIX)
    assert [str(x.at) for x in group.letters] == [f"{DLT}:0:{i}" for i in range(6)]
    assert (group.key, group.event_id, group.event_type) == (b"o1", "ev-1", "OrderPlaced")
    assert group.first_failed_at == T0


def test_records_are_grouped_by_topic_partition_offset_oldest_first() -> None:
    records = [
        letter("payment", offset=7, at=5),
        letter("inventory", topic=STOCK, offset=7, at=1, key=b"SKU"),
        letter("validation", offset=8, at=3),
        letter("projection", offset=7, at=6),
    ]
    groups = group_letters(records)
    assert [str(g.id) for g in groups] == [f"{STOCK}:3:7", f"{ORDERS}:3:8", f"{ORDERS}:3:7"]
    assert groups[2].stages == ["payment", "projection"]


def test_an_undecodable_value_has_no_event_id_and_a_schema_invalid_one_keeps_its_id() -> None:
    junk, invalid = group_letters([
        letter("validation", value=b"\x00\xffnot json", offset=1),
        letter("validation", value=b'{"event_id": "ev-9", "items": -1}', offset=2, at=1),
    ])  # fmt: skip
    assert (junk.event_id, junk.event_type) == (None, None)
    assert (invalid.event_id, invalid.event_type) == ("ev-9", None)


def test_records_without_failure_headers_are_skipped() -> None:
    stray = RawRecord(DLT, 0, 9, b"k", b"v", [("other", b"x")], 0)
    assert [g.id.offset for g in group_letters([stray, letter("payment")])] == [42]


def test_a_redriven_copy_that_failed_again_shows_where_it_came_from() -> None:
    headers = [("traceparent", b"00-abc"), (REDRIVEN_FROM, f"{ORDERS}:3:42".encode())]
    (group,) = group_letters([letter("payment", offset=99, original_headers=headers)])
    assert group.redriven_from == f"{ORDERS}:3:42"
    assert group.headers == headers  # the failure headers are not the record's own


@pytest.mark.parametrize("text", ["a.b:1", "a:b:1", "a:1:x", ":1:2", "a:1:2:3", "a:-1:2"])
def test_malformed_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a dead-letter id"):
        RecordId.parse(text)


def test_ids_round_trip() -> None:
    assert RecordId.parse("orderflow.order-events:5:1200") == RecordId(
        "orderflow.order-events", 5, 1200
    )


def test_select_by_id_by_event_id_or_all() -> None:
    groups = group_letters([
        letter("payment", offset=1),
        letter("payment", offset=2, at=1, value=b'{"event_id": "ev-2"}'),
        letter("inventory", topic=STOCK, offset=3, at=2, value=b"junk"),
    ])  # fmt: skip
    assert select(groups, [f"{STOCK}:3:3"], [], False) == [groups[2]]
    assert select(groups, [], ["ev-2"], False) == [groups[1]]
    assert select(groups, [f"{ORDERS}:3:1"], ["ev-2"], False) == groups[:2]
    assert select(groups, [], [], True) == groups
    with pytest.raises(UnknownIds, match=f"{ORDERS}:3:9, ev-404"):
        select(groups, [f"{ORDERS}:3:9"], ["ev-404"], False)


def test_narrow_by_stage_and_to_the_most_recent() -> None:
    groups = group_letters([
        letter("payment", offset=1), letter("validation", offset=2, at=1),
        letter("payment", offset=3, at=2), letter("projection", offset=3, at=3),
    ])  # fmt: skip
    assert [g.id.offset for g in narrow(groups, ["payment"])] == [1, 3]
    assert [g.id.offset for g in narrow(groups, ["validation", "projection"])] == [2, 3]
    assert [g.id.offset for g in narrow(groups, limit=2)] == [2, 3]
    assert [g.id.offset for g in narrow(groups, ["payment"], limit=1)] == [3]
