"""The AsyncAPI document: valid AsyncAPI 3.0, current, and true to the codec and the topics."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from orderflow.cli import main
from orders.contracts.asyncapi import DEFAULT_PATH, contract_defaults, document, render
from orders.contracts.codec import encode
from orders.contracts.schemas import published
from orders.contracts.versions import LATEST
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
    generated = document(contract_defaults(), ROOT / "contracts" / "schemas")
    assert committed == render(generated), (
        "contracts/asyncapi.json is out of date: run `uv run orderflow asyncapi export`"
    )


def test_document_is_valid_asyncapi_3() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(_doc())]
    assert not errors


def test_every_published_schema_version_is_a_message_on_its_channel() -> None:
    channels = _doc()["channels"]
    on_channel = {
        "order-events": set(channels["orderEvents"]["messages"]),
        "stock": set(channels["stock"]["messages"]),
    }
    versions = published(ROOT / "contracts" / "schemas")
    assert {k.family: set() for k in versions}.keys() == on_channel.keys()
    for family, names in on_channel.items():
        assert names == {f"{k.type}.v{k.version}" for k in versions if k.family == family}
    assert channels["orderEvents"]["address"] == "{prefix}.order-events"
    assert channels["orderEvents"]["bindings"]["kafka"]["partitions"] == 6


def test_writers_send_the_newest_version_only() -> None:
    sent = {
        ref["$ref"].rsplit("/", 1)[1]
        for op in _doc()["operations"].values()
        if op["action"] == "send"
        for ref in op["messages"]
    }
    assert sent == {f"{name}.v{version}" for name, version in LATEST.items()}


@pytest.mark.parametrize(
    "event",
    [
        OrderPlaced(
            order_id="o-1", customer_id="c", items=(LINE,), currency="USD",
            payment_token="tok", total=LINE.subtotal, total_minor=1100,
        ),
        CancellationRequested(order_id="o-1", reason="changed my mind"),
        PaymentCaptured(order_id="o-1", payment_id="p", amount=LINE.subtotal, items=(LINE,)),
        StockSet(sku="BURGER", quantity=3),
    ],
    ids=lambda e: type(e).__name__,
)  # fmt: skip
def test_encoded_events_match_their_payload_schema(event: Event) -> None:
    name = f"{type(event).__name__}.v{event.schema_version}"
    payload = _doc()["components"]["messages"][name]["payload"]
    jsonschema.Draft202012Validator(_schema_file(payload)).validate(json.loads(encode(event)))


def test_payload_schemas_refuse_what_the_codec_refuses() -> None:
    payload = _doc()["components"]["messages"]["StockSet.v1"]["payload"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(_schema_file(payload)).validate(
            {"type": "StockSet", "sku": "A", "quantity": -1}
        )


def _schema_file(payload: dict[str, str]) -> Any:
    # Payload refs are relative to the document's folder (contracts/).
    return json.loads((ROOT / DEFAULT_PATH).parent.joinpath(payload["$ref"]).read_text())


def test_cli_exports_the_committed_document(tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.json"
    runner = CliRunner()

    assert runner.invoke(main, ["asyncapi", "export", "--check", "-o", str(out)]).exit_code == 1
    assert runner.invoke(main, ["asyncapi", "export", "-o", str(out)]).exit_code == 0
    assert out.read_text() == (ROOT / DEFAULT_PATH).read_text()
    assert runner.invoke(main, ["asyncapi", "export", "--check", "-o", str(out)]).exit_code == 0


def _doc() -> dict[str, Any]:
    return json.loads((ROOT / DEFAULT_PATH).read_text())
