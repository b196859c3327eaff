"""Is a new version of an event's JSON Schema compatible with the one before it?

The rules (README, Schema evolution): a new version may add optional fields, and required
fields that an upcaster fills in from the old data. It must not remove a field, change a
field's type, drop a value an enum or constant allowed, or add a required field no upcaster
fills in, because readers of the new version must accept every older event after upcasting,
and consumers of the published contract must keep every field they rely on.

Works on the subset of JSON Schema that pydantic generates: objects with `properties` and
`required`, arrays with `items`, `type`, `const`, `enum`, `anyOf`/`oneOf` and local `$ref`s
(not recursive ones: no event nests itself). Constraints such as `maxLength` are not compared.
(PyPI has JSON Schema diff tools, but none that is mature and knows about upcasters.)
"""

from collections.abc import Collection
from typing import Any

Schema = dict[str, Any]

_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))
_ANY = frozenset({"any"})


def breaking_changes(old: Schema, new: Schema, *, filled: Collection[str] = ()) -> list[str]:
    """Why `new` is not a compatible next version of `old` (empty: it is). `filled` names the
    fields the upcaster from `old` to `new` fills in (dotted paths, e.g. "total_minor")."""
    return _Diff(old, new, frozenset(filled)).schema(old, new, "")


class _Diff:
    def __init__(self, old_root: Schema, new_root: Schema, filled: frozenset[str]) -> None:
        self.roots = (old_root, new_root)
        self.filled = filled

    def schema(self, old: Any, new: Any, path: str) -> list[str]:
        old, new = _resolve(old, self.roots[0]), _resolve(new, self.roots[1])
        old_types, new_types = self.types(old, 0), self.types(new, 1)
        if old_types != new_types and _ANY not in (old_types, new_types):
            shown = "|".join(sorted(old_types)), "|".join(sorted(new_types))
            return [f"{_name(path)}: type changed from {shown[0]} to {shown[1]}"]
        problems = self.values(old, new, path)
        if "object" in old_types:
            old_object, new_object = self.branch(old, 0, "object"), self.branch(new, 1, "object")
            problems += self.objects(old_object, new_object, path)
        if "array" in old_types:
            old_items = self.branch(old, 0, "array").get("items", {})
            new_items = self.branch(new, 1, "array").get("items", {})
            problems += self.schema(old_items, new_items, f"{path}[]")
        return problems

    def objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = []
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        for field, old_field in old_fields.items():
            name = f"{path}.{field}" if path else field
            if field not in new_fields:
                problems.append(f"{name}: removed")
            else:
                problems += self.schema(old_field, new_fields[field], name)
        newly_required = set(new.get("required", ())) - set(old.get("required", ()))
        for field in sorted(newly_required):
            name = f"{path}.{field}" if path else field
            if name not in self.filled:
                problems.append(f"{name}: newly required, and no upcaster fills it in")
        return problems

    def values(self, old: Schema, new: Schema, path: str) -> list[str]:
        """A constant or enum must keep every value it allowed (a version's own number aside)."""
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if old_values is None or new_values is None or path == "schema_version":
            return []  # no list of values, or widened to the whole type
        return [f"{_name(path)}: no longer allows {v!r}" for v in old_values if v not in new_values]

    def types(self, schema: Schema, side: int) -> frozenset[str]:
        """The JSON types a (resolved) schema allows; {"any"} when it does not say."""
        schema = _resolve(schema, self.roots[side])
        if "type" in schema:
            declared = schema["type"]
            return frozenset([declared] if isinstance(declared, str) else declared)
        values = _allowed_values(schema)
        if values is not None:
            return frozenset(_json_type(v) for v in values)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives:
            return frozenset().union(*(self.types(alt, side) for alt in alternatives))
        return _ANY

    def branch(self, schema: Schema, side: int, json_type: str) -> Schema:
        """The part of `schema` that describes values of `json_type` (one anyOf branch)."""
        schema = _resolve(schema, self.roots[side])
        for alt in schema.get("anyOf") or schema.get("oneOf") or ():
            if json_type in self.types(alt, side):
                resolved: Schema = _resolve(alt, self.roots[side])
                return resolved
        return schema


def _resolve(schema: Any, root: Schema) -> Any:
    """Follow local `$ref`s ("#/$defs/OrderLine") to the schema they name."""
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, not {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        schema = target
    return schema


def _allowed_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    return None


def _json_type(value: Any) -> str:
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return "null" if value is None else "object" if isinstance(value, dict) else "array"


def _name(path: str) -> str:
    return path or "the event"
