"""The AsyncAPI document: valid AsyncAPI 3.0, current, and true to the codec and the topics."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from orderflow.cli import main
from orders.contracts.asyncapi import (
    DEFAULT_PATH,
    ORDER_EVENTS,
    STOCK_EVENTS,
    contract_defaults,
    document,
    render,
)
from orders.contracts.codec import encode
from orders.domain.events import (
    CancellationRequested,
    Event,
    OrderPlaced,
    PaymentCaptured,
    StockSet,
)
from orders.domain.lines import OrderLine

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI_SCHEMA = ROOT / "tests" / "fixtures" / "asyncapi" / "asyncapi-3.0.0.schema.json"
LINE = OrderLine(sku="BURGER", quantity=2, unit_price=Decimal("5.50"))


def test_committed_document_is_current() -> None:
    committed = (ROOT / DEFAULT_PATH).read_text()
    assert committed == render(document(contract_defaults())), (
        "contracts/asyncapi.json is out of date: run `uv run orderflow asyncapi export`"
    )


def test_document_is_valid_asyncapi_3() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(_doc())]
    assert not errors


def test_every_event_type_has_a_message_on_its_channel() -> None:
    channels = _doc()["channels"]
    assert set(channels["orderEvents"]["messages"]) == {m.__name__ for m in ORDER_EVENTS}
    assert set(channels["stock"]["messages"]) == {m.__name__ for m in STOCK_EVENTS}
    assert channels["orderEvents"]["address"] == "{prefix}.order-events"
    assert channels["orderEvents"]["bindings"]["kafka"]["partitions"] == 6


@pytest.mark.parametrize(
    "event",
    [
        OrderPlaced(
            order_id="o-1", customer_id="c", items=(LINE,), currency="USD",
            payment_token="tok", total=LINE.subtotal,
        ),
        CancellationRequested(order_id="o-1", reason="changed my mind"),
        PaymentCaptured(order_id="o-1", payment_id="p", amount=LINE.subtotal, items=(LINE,)),
        StockSet(sku="BURGER", quantity=3),
    ],
    ids=lambda e: type(e).__name__,
)  # fmt: skip
def test_encoded_events_match_their_payload_schema(event: Event) -> None:
    doc = _doc()
    payload = doc["components"]["messages"][type(event).__name__]["payload"]
    # Refs point into the document, so validate with the document as the root.
    schema = {**payload, "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(json.loads(encode(event)))


def test_payload_schemas_refuse_what_the_codec_refuses() -> None:
    doc = _doc()
    schema = {"$ref": "#/components/schemas/StockSet", "components": doc["components"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(
            {"type": "StockSet", "sku": "A", "quantity": -1}
        )


def test_cli_exports_the_committed_document(tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.json"
    runner = CliRunner()

    assert runner.invoke(main, ["asyncapi", "export", "--check", "-o", str(out)]).exit_code == 1
    assert runner.invoke(main, ["asyncapi", "export", "-o", str(out)]).exit_code == 0
    assert out.read_text() == (ROOT / DEFAULT_PATH).read_text()
    assert runner.invoke(main, ["asyncapi", "export", "--check", "-o", str(out)]).exit_code == 0


def _doc() -> dict[str, Any]:
    return json.loads((ROOT / DEFAULT_PATH).read_text())
