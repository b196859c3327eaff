"""Redrive bookkeeping: what is put back, with which headers, and that a second redrive of
the same record is skipped (the ledger), through a recording sink."""

from collections.abc import Sequence
from datetime import UTC, datetime

from orderflow.dead_letters.groups import Group, RecordId, group_letters
from orderflow.dead_letters.ledger import Redriven, latest_entries
from orderflow.dead_letters.redrive import OutRecord, copy_of, execute, plan
from orderflow.records import RawRecord
from orders.contracts.dead_letters import REDRIVEN_FROM
from tests.unit.dead_letter_helpers import ORDERS, STOCK, letter

LEDGER = "p.dead-letters.redriven"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class RecordingSink:
    """Appends every record to an in-memory log per topic; can refuse a topic."""

    def __init__(self, refuse: str | None = None) -> None:
        self.log: dict[str, list[OutRecord]] = {}
        self.refuse = refuse

    def publish(self, records: Sequence[OutRecord]) -> list[RecordId | Exception]:
        results: list[RecordId | Exception] = []
        for record in records:
            if record.topic == self.refuse:
                results.append(RuntimeError("broker said no"))
                continue
            log = self.log.setdefault(record.topic, [])
            log.append(record)
            results.append(RecordId(record.topic, 0, 1000 + len(log) - 1))
        return results

    def ledger(self) -> dict[RecordId, Redriven]:
        records = [
            RawRecord(LEDGER, 0, i, r.key, r.value, r.headers, 0)
            for i, r in enumerate(self.log.get(LEDGER, []))
        ]
        return latest_entries(records)


def groups() -> list[Group]:
    return group_letters([
        letter("payment", offset=1, error="GatewayMalfunction"),
        letter("inventory", topic=STOCK, offset=2, at=1, key=b"SKU", value=b'{"event_id": "s"}'),
    ])  # fmt: skip


def test_a_copy_is_the_original_record_with_a_redriven_from_header() -> None:
    earlier = (REDRIVEN_FROM, b"p.order-events:0:1")
    (group,) = group_letters([letter("payment", original_headers=[("trace", b"t"), earlier])])
    copy = copy_of(group)
    assert (copy.topic, copy.key, copy.value) == (ORDERS, group.key, group.value)
    assert copy.headers == [("trace", b"t"), (REDRIVEN_FROM, f"{ORDERS}:3:42".encode())]


def test_redrive_publishes_copies_then_notes_them_and_a_second_redrive_skips() -> None:
    sink = RecordingSink()
    done = execute(plan(groups(), {}, force=False), sink, LEDGER, NOW)
    assert [d.to for d in done] == [RecordId(ORDERS, 0, 1000), RecordId(STOCK, 0, 1000)]
    assert all(d.error is None for d in done)
    ledger = sink.ledger()
    assert ledger[RecordId(ORDERS, 3, 1)] == Redriven(
        RecordId(ORDERS, 3, 1), RecordId(ORDERS, 0, 1000), NOW, "ev-1"
    )
    again = plan(groups(), ledger, force=False)
    assert [step.redrive for step in again] == [False, False]
    assert again[0].reason.startswith(f"already redriven to {ORDERS}:0:1000 at 2026-11-22")
    execute(again, sink, LEDGER, NOW)
    assert len(sink.log[ORDERS]) == len(sink.log[STOCK]) == 1  # nothing published again


def test_force_redrives_order_events_again_but_never_stock_commands() -> None:
    sink = RecordingSink()
    execute(plan(groups(), {}, force=False), sink, LEDGER, NOW)
    forced = plan(groups(), sink.ledger(), force=True, never_forced=frozenset({STOCK}))
    assert [step.redrive for step in forced] == [True, False]
    assert "a stock command applied twice is not a no-op" in forced[1].reason
    execute(forced, sink, LEDGER, NOW)
    assert len(sink.log[ORDERS]) == 2
    assert sink.ledger()[RecordId(ORDERS, 3, 1)].forced


def test_a_copy_the_broker_refused_is_not_noted_so_it_can_be_redriven_again() -> None:
    sink = RecordingSink(refuse=ORDERS)
    done = execute(plan(groups(), {}, force=False), sink, LEDGER, NOW)
    assert done[0].to is None
    assert done[0].error == "not published: broker said no"
    assert set(sink.ledger()) == {RecordId(STOCK, 3, 2)}


def test_a_copy_published_but_not_noted_is_reported() -> None:
    done = execute(plan(groups(), {}, force=False), RecordingSink(refuse=LEDGER), LEDGER, NOW)
    assert done[0].to == RecordId(ORDERS, 0, 1000)
    assert done[0].error == "published, but not noted in the ledger: broker said no"


def test_the_ledger_keeps_the_latest_entry_and_forgets_on_a_tombstone() -> None:
    first = Redriven(RecordId(ORDERS, 1, 5), RecordId(ORDERS, 1, 9), NOW, None)
    second = Redriven(first.id, RecordId(ORDERS, 1, 12), NOW, "e", forced=True)
    other = Redriven(RecordId(ORDERS, 2, 5), RecordId(ORDERS, 2, 6), NOW, None)
    records = [
        RawRecord(LEDGER, 0, i, e.key(), e.value(), [], 0)
        for i, e in enumerate((first, other, second))
    ]
    assert latest_entries(records) == {first.id: second, other.id: other}
    tombstone = RawRecord(LEDGER, 0, 3, other.key(), None, [], 0)
    assert latest_entries([*records, tombstone]) == {first.id: second}


def test_a_copy_that_failed_again_is_not_put_back_again_without_force() -> None:
    sink = RecordingSink()
    (original,) = group_letters([letter("validation", offset=1)])
    execute(plan([original], {}, force=False), sink, LEDGER, NOW)
    copy = sink.log[ORDERS][0]  # it fails again: its own dead letters name it
    (again,) = group_letters([letter("validation", offset=1000, original_headers=copy.headers)])
    assert again.redriven_from == str(original.id)
    steps = plan([original, again], sink.ledger(), force=False)
    assert [step.redrive for step in steps] == [False, False]
    assert steps[1].reason.startswith(f"a copy of {original.id} put back by an earlier redrive")
    (forced,) = plan([again], sink.ledger(), force=True, never_forced=frozenset({ORDERS}))
    assert forced.redrive  # never applied (it failed), so safe on any topic
    assert forced.forced
