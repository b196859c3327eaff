"""The event contract checked as a whole: published schema files, models and upcasters.

For every event type, versions 1..newest must all be published (the newest as the model
generates it), each version must be a compatible next step from the one before (see
orders/contracts/compat.py) given what its upcaster fills in, and every older version must
have an upcaster, so a reader of the newest version reads them all.
"""

from pathlib import Path

from orders.contracts.compat import breaking_changes
from orders.contracts.schemas import (
    DEFAULT_DIR,
    Schema,
    SchemaKey,
    generated,
    published,
    stale,
    without_annotations,
)
from orders.contracts.upcasters import UPCASTERS, Upcaster

REGENERATE = "run `orderflow schema export` (or `make schemas`) and commit contracts/schemas"


def contract_problems(
    root: Path = DEFAULT_DIR, upcasters: dict[tuple[str, int], Upcaster] = UPCASTERS
) -> list[str]:
    """Everything that breaks the rules; empty when the contract is sound."""
    files, models = published(root), generated()
    problems = [f"{key}: not what the models generate: {REGENERATE}" for key in stale(root)]
    for newest, schema in models.items():
        versions = {
            key.version: file
            for key, file in files.items()
            if (key.family, key.type) == (newest.family, newest.type)
        }
        if newest.version in versions and _changed(versions[newest.version], schema):
            problems.append(
                f"{newest}: the model changes a published version; bump its schema_version"
            )
        versions[newest.version] = schema
        problems += _chain(newest, versions, upcasters)
    return problems


def _changed(published_schema: Schema, model_schema: Schema) -> bool:
    return bool(without_annotations(published_schema) != without_annotations(model_schema))


def _chain(
    newest: SchemaKey, versions: dict[int, Schema], upcasters: dict[tuple[str, int], Upcaster]
) -> list[str]:
    name = f"{newest.family}/{newest.type}"
    problems = [
        f"{name} v{v} is published but the model writes v{newest.version}"
        for v in versions
        if v > newest.version
    ]
    problems += [
        f"{name} v{v} is not published" for v in range(1, newest.version) if v not in versions
    ]
    for version in range(1, newest.version):
        if version not in versions or version + 1 not in versions:
            continue  # reported above
        step = upcasters.get((newest.type, version))
        if step is None:
            problems.append(f"{name}: no upcaster from v{version} to v{version + 1}")
        filled = step.fills if step else ()
        problems += [
            f"{name} v{version} -> v{version + 1}: {problem}"
            for problem in breaking_changes(versions[version], versions[version + 1], filled=filled)
        ]
    return problems
