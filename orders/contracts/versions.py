"""Which event types each topic carries, and the schema version each type is written with.

Every event type has its own `schema_version` (a `Literal` on its model): writers emit that
version, the newest; readers accept it and every older one (through orders/contracts/upcasters.py).
"""

import typing
from typing import Any

from orders.domain.events import AnyOrderEvent, AnyStockEvent, Event

# Topic families as the schema files name them: contracts/schemas/{family}/v{N}/{Type}.json
FAMILIES: dict[str, Any] = {"order-events": AnyOrderEvent, "stock": AnyStockEvent}


def models(union: Any) -> tuple[type[Event], ...]:
    """The event classes of a discriminated union such as AnyOrderEvent."""
    members = typing.get_args(typing.get_args(union)[0])
    return tuple(members)


def type_name(model: type[Event]) -> str:
    name = model.model_fields["type"].default
    if not isinstance(name, str):
        raise TypeError(f"{model.__name__} has no `type` default")
    return name


def latest_version(model: type[Event]) -> int:
    version = model.model_fields["schema_version"].default
    if not isinstance(version, int):
        raise TypeError(f"{model.__name__} has no `schema_version` default")
    return version


def family_models(family: str) -> tuple[type[Event], ...]:
    return models(FAMILIES[family])


LATEST: dict[str, int] = {
    type_name(model): latest_version(model)
    for union in FAMILIES.values()
    for model in models(union)
}
"""The version writers emit today, by event type (the newest a reader understands)."""
