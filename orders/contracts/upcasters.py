"""Upcasters: older versions of an event become the newest before anyone validates them.

The codec calls `upcast_json` on every record, so the stages, the status projection and any
replay only ever see the newest models. An upcaster turns one type's version N into N + 1 on
the decoded JSON object; a chain of them reaches the newest. A version newer than this reader
knows is poison (DecodeError): the stage loop dead-letters it instead of guessing.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic_core

from orders.contracts.versions import LATEST
from orders.domain.money import to_minor_units
from orders.errors import DecodeError

Raw = dict[str, Any]
FIRST_VERSION = 1  # what an event without `schema_version` is (v1 writers always wrote it)


@dataclass(frozen=True)
class Upcaster:
    """Turns `type` at `version` into `version + 1`."""

    type: str
    version: int
    fills: tuple[str, ...]  # required fields version + 1 added, derived here from the old data
    apply: Callable[[Raw], Raw]


def _total_minor_from_total(data: Raw) -> Raw:
    """Order terms v1 -> v2: v2 added `total_minor`, the total in minor units (cents)."""
    total, currency = data.get("total"), data.get("currency")
    if "total_minor" in data:
        raise DecodeError(f"{data.get('type')} v1 has no field total_minor (is it v2?)")
    try:
        if isinstance(total, bool) or not isinstance(total, str | int | float):
            raise ValueError(f"total {total!r} is not an amount")
        if not isinstance(currency, str):
            raise ValueError(f"currency {currency!r} is not a currency code")
        minor = to_minor_units(Decimal(str(total)), currency)
    except (ValueError, InvalidOperation) as e:
        raise DecodeError(f"cannot upcast {data.get('type')} v1 to v2: {e}") from e
    return {**data, "total_minor": minor}


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    (u.type, u.version): u
    for u in (
        Upcaster(kind, 1, ("total_minor",), _total_minor_from_total)
        for kind in ("OrderPlaced", "OrderValidated", "StockReserved")
    )
}


def upcast(data: Raw) -> Raw:
    """`data` (one decoded event) at the newest version of its type. Unknown types are left
    for validation to report; versions newer than the newest known raise DecodeError."""
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in LATEST:
        return data
    latest = LATEST[kind]
    version = data.get("schema_version", FIRST_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < FIRST_VERSION:
        raise DecodeError(f"{kind}: schema_version {version!r} is not a version (1, 2, ...)")
    if version > latest:
        raise DecodeError(
            f"{kind}: schema_version {version} is newer than this reader knows "
            f"(up to {latest}); upgrade the reader, then redrive the dead letter"
        )
    while version < latest:
        step = UPCASTERS.get((kind, version))
        if step is None:
            raise DecodeError(f"{kind}: no upcaster from schema_version {version}")
        version += 1
        data = {**step.apply(data), "schema_version": version}
    return data


def upcast_json(raw: bytes) -> bytes:
    """`raw` with its event upcast to the newest version; unchanged when it already is the
    newest, or is not a JSON object at all (validation then says what is wrong)."""
    try:
        data = pydantic_core.from_json(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return raw
    newest = upcast(data)
    return raw if newest is data else json.dumps(newest).encode()


def upcast_embedded(raw: bytes) -> bytes:
    """A stored record (a stage's table value) with every event inside it upcast: a reservation
    saga written before an upgrade holds the OrderValidated it started from at the old version,
    and its table outlives the upgrade."""
    data = json.loads(raw)
    newest = _upcast_tree(data)
    return raw if newest is data else json.dumps(newest).encode()


def _upcast_tree(value: Any) -> Any:
    """`value` with each event in it (a JSON object with a `type` and an `event_id`) upcast;
    the same object when nothing changed."""
    if isinstance(value, list):
        items = [_upcast_tree(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if not isinstance(value, dict):
        return value
    children = {k: _upcast_tree(v) for k, v in value.items()}
    node = value if all(children[k] is value[k] for k in value) else children
    return upcast(node) if "type" in node and "event_id" in node else node
