"""Dead letters on the real processes: a charge the gateway could not make is dead-lettered,
the fault is fixed, `dlq redrive` puts it back and the order completes once. Redriving it
again changes nothing: skipped by the ledger, and when forced the stages ignore the copy.
A poison record on the order log is one row (one dead letter), and its copy, failing again, is
not put back a second time."""

import asyncio

import aiohttp

from orderflow.client import OrderflowClient, order_body
from orderflow.dead_letters.store import load_ledger
from orderflow.stock import read_stock, set_stock
from orders.contracts.dead_letters import REDRIVEN_FROM
from orders.contracts.topics import Topics
from orders.domain.status import OrderStatus
from tests.e2e.conftest import StackFactory
from tests.e2e.faults import wait_caught_up
from tests.e2e.redrive_helpers import (
    cli,
    cli_json,
    of_type,
    order_log,
    snapshot,
    wait_dead_letters,
)
from tests.e2e.test_poison import publish_raw

PATH = ["PENDING", "VALIDATED", "RESERVED", "PAID", "COMPLETED"]
DECODER = ["dispatch"]  # the order log's one reader decodes each record once


async def test_a_dead_lettered_charge_is_redriven_once_after_the_fix(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1, fault_injection_gateway_malfunction=True)
    sku = f"{stack.settings.topic_prefix}-R"
    await set_stock(stack.settings, {sku: 5})
    async with aiohttp.ClientSession() as session:
        client = OrderflowClient(session, stack.producer_url, stack.status_url)
        order_id = (await client.place(order_body([(sku, 2, "3.00")]))).order_id
        (group,) = await wait_dead_letters(stack.settings, 1)
        stuck = await client.wait_status(order_id, {OrderStatus.RESERVED})
        assert stuck["status"] == "RESERVED"

        # `dlq list`: one record, the payment stage's failure in its headers.
        (listed,) = cli_json(stack.settings, "dlq", "list")
        assert listed["id"] == str(group.id)
        assert (listed["key"], listed["event_type"]) == (order_id, "StockReserved")
        assert listed["stages"] == ["payment"]
        assert listed["redriven"] is None
        headers = listed["letters"][0]["headers"]
        assert headers["orderflow.error.class"] == "GatewayMalfunction"
        assert headers["orderflow.attempts"] == "3"
        assert headers["orderflow.original.offset"] == str(group.id.offset)
        table = cli(stack.settings, "dlq", "list").output
        assert str(group.id) in table
        assert "payment (3 tries): GatewayMalfunction" in table

        # The fix: workers without the fault. A dry run changes nothing.
        fixed = {"fault_injection_gateway_malfunction": False}
        stack.settings = stack.settings.model_copy(update=fixed)
        await asyncio.to_thread(stack.restart_workers)
        dry = cli(stack.settings, "dlq", "redrive", "--id", str(group.id), "--dry-run")
        assert f"would put back  {group.id}" in dry.output, dry.output
        assert await asyncio.to_thread(load_ledger, stack.settings) == {}

        redriven = cli(stack.settings, "dlq", "redrive", "--id", str(group.id))
        assert redriven.exit_code == 0, redriven.output
        assert f"redriven  {group.id} (StockReserved {group.event_id}) -> " in redriven.output
        done = await client.wait_terminal(order_id, within=90)
        assert done["status"] == "COMPLETED", done
        assert [h["status"] for h in done["history"]] == PATH

        # Twice: skipped by id and by event id; forced, the stages ignore the copy.
        again = cli(stack.settings, "dlq", "redrive", "--id", str(group.id))
        assert again.output.startswith(f"skip      {group.id} (StockReserved"), again.output
        assert "already redriven to" in again.output
        by_event = cli(stack.settings, "dlq", "redrive", "--event-id", group.event_id or "?")
        assert "already redriven" in by_event.output, by_event.output
        forced = cli(stack.settings, "dlq", "redrive", "--id", str(group.id), "--force")
        assert forced.exit_code == 0, forced.output
        assert f"redriven  {group.id}" in forced.output, forced.output
        await asyncio.to_thread(wait_caught_up, stack.settings)
        after = await client.order(order_id)
        assert after is not None
        assert snapshot(after) == snapshot(done)

    log = await asyncio.to_thread(order_log, stack.settings, order_id)
    copies = [r for r, e in log if e["type"] == "StockReserved" and r.offset > group.id.offset]
    assert len(copies) == 2
    assert {r.partition for r in copies} == {group.id.partition}  # murmur2, like Faust
    assert all((REDRIVEN_FROM, str(group.id).encode()) in r.headers for r in copies)
    captured = of_type(log, "PaymentCaptured")
    assert len(captured) == 2  # the forced copy repeated the recorded outcome...
    assert len({(e["event_id"], e["payment_id"]) for e in captured}) == 1  # ...one charge
    assert len({e["event_id"] for e in of_type(log, "OrderCompleted")}) == 1
    stock = (await asyncio.to_thread(read_stock, stack.settings))[sku]
    assert (stock.on_hand, stock.held) == (3, {})
    (listed,) = cli_json(stack.settings, "dlq", "list")
    assert listed["redriven"]["forced"] is True


async def test_a_poison_record_is_one_row_and_its_failing_copy_is_not_redriven_twice(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(workers=1)
    settings = stack.settings
    topic = Topics.from_settings(settings).order_events.name
    key = f"{settings.topic_prefix}-POISON".encode()
    (sent,) = await asyncio.to_thread(publish_raw, settings, [(topic, key, b"\x00\xffnot json")])
    (group,) = await wait_dead_letters(settings, 1, letters=1)
    assert str(group.id) == f"{topic}:{sent.partition}:{sent.offset}"
    (listed,) = cli_json(settings, "dlq", "list")
    assert listed["stages"] == DECODER
    assert (listed["key"], listed["event_id"], listed["event_type"]) == (key.decode(), None, None)
    assert {x["headers"]["orderflow.error.class"] for x in listed["letters"]} == {"DecodeError"}

    first = cli(settings, "dlq", "redrive", "--all")  # nothing fixed: the copy fails again
    assert f"redriven  {group.id} (not JSON) -> " in first.output, first.output
    _, copy = await wait_dead_letters(settings, 2, letters=2)
    assert copy.redriven_from == str(group.id)
    assert copy.stages == DECODER

    second = cli(settings, "dlq", "redrive", "--all")
    assert second.exit_code == 0, second.output
    assert second.output.count("skip      ") == 2, second.output
    assert f"a copy of {group.id} put back by an earlier redrive" in second.output
    pending = cli_json(settings, "dlq", "list", "--pending")
    assert [row["id"] for row in pending] == [str(copy.id)]
    assert [row["id"] for row in cli_json(settings, "dlq", "list", "--limit", "1")] == [
        str(copy.id)
    ]
