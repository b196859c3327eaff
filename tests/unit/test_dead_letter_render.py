"""What `dlq list` shows: one row per record with its failures, and the JSON for scripts."""

from datetime import UTC, datetime

from rich.console import Console

from orderflow.dead_letters.groups import RecordId, group_letters
from orderflow.dead_letters.ledger import Redriven
from orderflow.dead_letters.render import group_dict, groups_table
from tests.unit.dead_letter_helpers import ORDERS, letter

SIX = ["validation", "reservation", "cancellation-intake", "payment", "fulfilment", "projection"]


def rendered(width: int = 200, **ledger: Redriven) -> str:
    groups = group_letters([
        *(letter(stage, offset=1, value=b"junk", dlt_offset=i) for i, stage in enumerate(SIX)),
        letter("payment", offset=2, at=5, error="GatewayMalfunction"),
    ])  # fmt: skip
    entries = {entry.id: entry for entry in ledger.values()}
    console = Console(width=width, record=True)
    console.print(groups_table(groups, entries))
    return console.export_text()


def test_six_stages_failing_alike_are_one_line_of_one_row() -> None:
    text = rendered()
    assert "2 dead-lettered record(s)" in text
    assert (
        "cancellation-intake, fulfilment, payment, projection, reservation, validation: "
        "DecodeError: boom"
    ) in text
    assert "payment (3 tries): GatewayMalfunction: boom" in text
    assert f"{ORDERS}:3:1" in text
    assert "ev-1" in text  # the second record's event id


def test_a_redriven_record_shows_where_its_copy_went() -> None:
    to = RecordId(ORDERS, 3, 9)
    entry = Redriven(RecordId(ORDERS, 3, 2), to, datetime(2026, 11, 22, tzinfo=UTC), "ev-1")
    assert f"redriven → {to}" in rendered(entry=entry)


def test_json_has_every_header_and_the_value() -> None:
    (group,) = group_letters([letter("payment", error="GatewayMalfunction")])
    data = group_dict(group, None)
    assert data["id"] == f"{ORDERS}:3:42"
    assert (data["event_type"], data["event_id"], data["key"]) == ("OrderPlaced", "ev-1", "o1")
    assert data["stages"] == ["payment"]
    assert data["redriven"] is None
    assert data["value"] == group.value.decode()  # type: ignore[union-attr]
    (only,) = data["letters"]
    assert only["headers"]["orderflow.error.class"] == "GatewayMalfunction"
    assert only["headers"]["orderflow.original.offset"] == "42"
    assert only["attempts"] == 3
