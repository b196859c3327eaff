"""The published JSON Schemas (contracts/schemas) are what the models generate, every version
of every event type is there and compatible with the one before, and real events (the v1
fixture, the newest encodings) are valid against them."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orders.contracts.codec import decode_order_event, decode_stock_event, encode
from orders.contracts.evolution import REGENERATE, contract_problems
from orders.contracts.schemas import (
    PublishedSchemaChanged,
    SchemaKey,
    export,
    generated,
    published,
    render,
    stale,
)
from tests.fixtures.events_v1 import ORDER_EVENTS, STOCK_EVENTS, as_json

ROOT = Path(__file__).resolve().parents[2] / "contracts" / "schemas"
FIXTURE = [("order-events", raw) for raw in ORDER_EVENTS] + [("stock", raw) for raw in STOCK_EVENTS]


def _validator(family: str, kind: str, version: int) -> Draft202012Validator:
    path = SchemaKey(family, kind, version).path(ROOT)
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, data: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(data)]


def test_committed_schemas_are_what_the_models_generate() -> None:
    assert not stale(ROOT), f"stale schema files {[str(k) for k in stale(ROOT)]}: {REGENERATE}"


def test_every_version_is_published_and_compatible_with_the_one_before() -> None:
    problems = contract_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_published_versions() -> None:
    versions = {(k.type, k.version) for k in published(ROOT)}
    assert {("OrderPlaced", 1), ("OrderPlaced", 2), ("StockReserved", 2)} <= versions
    assert ("OrderRejected", 2) not in versions  # only the order terms changed


@pytest.mark.parametrize(("family", "raw"), FIXTURE, ids=[as_json(r)["type"] for _, r in FIXTURE])
def test_v1_fixture_is_valid_against_the_v1_schemas(family: str, raw: bytes) -> None:
    data = as_json(raw)
    assert _errors(_validator(family, data["type"], 1), data) == []


@pytest.mark.parametrize(("family", "raw"), FIXTURE, ids=[as_json(r)["type"] for _, r in FIXTURE])
def test_v1_fixture_upcast_is_valid_against_the_newest_schemas(family: str, raw: bytes) -> None:
    decode = decode_order_event if family == "order-events" else decode_stock_event
    newest = json.loads(encode(decode(raw)))
    validator = _validator(family, newest["type"], newest["schema_version"])
    assert _errors(validator, newest) == []


def test_a_v1_order_is_not_valid_against_v2_without_upcasting() -> None:
    v1 = as_json(ORDER_EVENTS[0])
    errors = _errors(_validator("order-events", "OrderPlaced", 2), v1)
    assert any("total_minor" in e for e in errors)
    assert any("2 was expected" in e for e in errors)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(ROOT, root)
    return root


def test_export_writes_missing_newest_files_only(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    newest = SchemaKey("order-events", "OrderPlaced", 2).path(root)
    newest.unlink()
    assert export(root) == [newest]
    assert newest.read_text() == render(generated()[SchemaKey("order-events", "OrderPlaced", 2)])
    assert export(root) == []


def test_export_never_changes_what_a_published_version_accepts(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = SchemaKey("order-events", "OrderRejected", 1).path(root)
    schema = json.loads(path.read_text())
    schema["required"].append("reason_code")  # as if the model had changed without a new version
    path.write_text(render(schema))
    with pytest.raises(PublishedSchemaChanged, match=r"OrderRejected v1.*bump"):
        export(root)
    assert any("changes a published version" in p for p in contract_problems(root))


def test_export_updates_documentation_in_place(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = SchemaKey("order-events", "OrderRejected", 1).path(root)
    schema = json.loads(path.read_text())
    schema["description"] = "an older wording"
    path.write_text(render(schema))
    assert export(root) == [path]


def test_the_check_fails_when_a_version_is_missing_or_ahead(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    SchemaKey("order-events", "OrderPlaced", 1).path(root).unlink()
    ahead = SchemaKey("stock", "StockSet", 2).path(root)
    ahead.parent.mkdir(parents=True)
    ahead.write_text(SchemaKey("stock", "StockSet", 1).path(root).read_text())
    problems = contract_problems(root)
    assert "order-events/OrderPlaced v1 is not published" in problems
    assert "stock/StockSet v2 is published but the model writes v1" in problems
