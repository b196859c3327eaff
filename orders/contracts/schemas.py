"""The event contract as JSON Schema files, generated from the event models.

One file per event type and version: `contracts/schemas/{family}/v{N}/{Type}.json`, for example
`contracts/schemas/order-events/v2/OrderPlaced.json`. A file describes what a reader of that
version accepts (pydantic's validation-mode schema, JSON Schema 2020-12).

A published version is never changed in meaning: `export` writes the newest version of every
event type and refuses to alter a file that exists, except in its documentation (titles and
descriptions). A change to what an event holds is a new version (see README, Schema evolution).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orders.contracts.versions import FAMILIES, family_models, latest_version, type_name
from orders.domain.events import Event

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIR = Path("contracts/schemas")
_ANNOTATIONS = frozenset({"title", "description"})  # documentation, not meaning


@dataclass(frozen=True, order=True)
class SchemaKey:
    family: str
    type: str
    version: int

    def path(self, root: Path) -> Path:
        return root / self.family / f"v{self.version}" / f"{self.type}.json"

    def __str__(self) -> str:
        return f"{self.family}/{self.type} v{self.version}"


class PublishedSchemaChanged(Exception):
    """The models would change what a published schema version accepts."""

    def __init__(self, keys: list[SchemaKey]) -> None:
        names = ", ".join(str(k) for k in keys)
        super().__init__(
            f"published schema(s) would change: {names}. A published version never changes: "
            "bump the event's schema_version (with an upcaster in orders/contracts/upcasters.py)"
        )
        self.keys = keys


def generate(model: type[Event]) -> Schema:
    return {"$schema": DIALECT, **model.model_json_schema(mode="validation")}


def generated() -> dict[SchemaKey, Schema]:
    """The newest version of every event type, from the models."""
    return {
        SchemaKey(family, type_name(model), latest_version(model)): generate(model)
        for family in FAMILIES
        for model in family_models(family)
    }


def published(root: Path = DEFAULT_DIR) -> dict[SchemaKey, Schema]:
    """Every schema file under `root`."""
    found: dict[SchemaKey, Schema] = {}
    for path in sorted(root.glob("*/v*/*.json")):
        key = SchemaKey(path.parent.parent.name, path.stem, int(path.parent.name[1:]))
        found[key] = json.loads(path.read_text())
    return found


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale(root: Path = DEFAULT_DIR) -> list[SchemaKey]:
    """Newest versions whose file is missing or differs from what the models generate."""
    return [
        key
        for key, schema in generated().items()
        if not key.path(root).exists() or key.path(root).read_text() != render(schema)
    ]


def without_annotations(schema: Any) -> Any:
    """`schema` without titles and descriptions: what it accepts, not how it is documented."""
    if isinstance(schema, dict):
        return {
            k: without_annotations(v)
            for k, v in schema.items()
            if k not in _ANNOTATIONS or not isinstance(v, str)
        }
    if isinstance(schema, list):
        return [without_annotations(v) for v in schema]
    return schema


def export(root: Path = DEFAULT_DIR) -> list[Path]:
    """Write the newest version of every event type; return the files written or changed."""
    current = published(root)
    schemas = generated()
    changed = [
        key
        for key, schema in schemas.items()
        if key in current and without_annotations(current[key]) != without_annotations(schema)
    ]
    if changed:
        raise PublishedSchemaChanged(changed)
    written = []
    for key in stale(root):
        path = key.path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schemas[key]))
        written.append(path)
    return written
