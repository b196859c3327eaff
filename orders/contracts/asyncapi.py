"""The topics and their events as an AsyncAPI 3.0 document, generated from the contract.

For services that publish or consume order events directly: topic names (templates on the
`{prefix}`), keys, partitions, retention, and one message per event type and schema version,
whose payload is the published JSON Schema file of that version (`contracts/schemas`, written by
`orderflow schema export`). Writers send the newest version of each type; readers meet every
version on the log. The committed copy is `contracts/asyncapi.json`, next to `schemas/`
(`orderflow asyncapi export`); a test keeps it current.
"""

import json
from pathlib import Path
from typing import Any

from orders.contracts import dead_letters as dl
from orders.contracts import schemas
from orders.contracts.topics import Topics, TopicSpec
from orders.contracts.versions import LATEST, family_models, type_name
from orders.domain.events import Event
from orders.settings import Settings

Document = dict[str, Any]

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
DEFAULT_PATH = Path("contracts/asyncapi.json")  # its payload refs are relative to its folder
SCHEMAS_DIR = schemas.DEFAULT_DIR  # contracts/schemas, next to it
PLACED_BY_CLIENTS = ("OrderPlaced", "CancellationRequested")  # the rest come from the stages

_DESCRIPTION = (
    "orderflow's Kafka topics. Values are UTF-8 JSON objects whose `type` names the event "
    "(orders/contracts/codec.py); keys are UTF-8 strings. Delivery is at least once: events "
    "caused by another carry an id derived from their cause, so readers ignore repeats by "
    "`event_id`. Producers must partition keys like Kafka's Java client (murmur2; with "
    "librdkafka set `partitioner=murmur2_random`), so all of an order's events share a partition. "
    "Payloads are JSON Schema (2020-12) files, one per event type and version; writers send the "
    "newest version, readers accept every version (`schema_version`)."
)
_DEAD_LETTER_HEADERS = {
    dl.STAGE: "the stage that gave up, e.g. validation",
    dl.ERROR_CLASS: "the exception's class name, e.g. DecodeError",
    dl.ERROR_MESSAGE: f"its message, at most {dl.MAX_MESSAGE_CHARS} characters",
    dl.TOPIC: "the topic the record was read from",
    dl.PARTITION: "its partition (decimal)",
    dl.OFFSET: "its offset (decimal)",
    dl.ATTEMPTS: "how many times the stage tried it (1 for an undecodable record)",
    dl.FIRST_FAILED_AT: "when the first attempt failed, ISO 8601 UTC",
}


def _ref(section: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/{section}/{name}"}


def _channel(spec: TopicSpec, settings: Settings, summary: str, messages: list[str]) -> Document:
    retention = {k: int(v) for k, v in spec.config.items() if k.startswith("retention.")}
    topic_config: Document = {"cleanup.policy": [spec.config.get("cleanup.policy", "delete")]}
    return {
        "address": "{prefix}" + spec.name.removeprefix(settings.topic_prefix),
        "summary": summary,
        "parameters": {"prefix": _ref("components/parameters", "prefix")},
        "messages": {name: _ref("components/messages", name) for name in messages},
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "replicas": settings.replication_factor,
                "topicConfiguration": {**topic_config, **retention},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def message_name(key: schemas.SchemaKey) -> str:
    return f"{key.type}.v{key.version}"


def _event_message(key: schemas.SchemaKey, model: type[Event], message_key: str) -> Document:
    summary = (model.__doc__ or key.type).split("\n\n")[0].replace("\n", " ").strip()
    return {
        "name": key.type,
        "title": f"{key.type} (version {key.version})",
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": f"schemas/{key.family}/v{key.version}/{key.type}.json"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": message_key},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _dead_letter_message() -> Document:
    headers = {
        name: {"type": "string", "description": d} for name, d in _DEAD_LETTER_HEADERS.items()
    }
    return {
        "name": "DeadLetter",
        "title": "DeadLetter",
        "summary": "A record a stage could not process: its original key and value, unchanged",
        "contentType": "application/octet-stream",
        "headers": {"type": "object", "required": sorted(headers), "properties": headers},
        "payload": {"description": "the original record's value, byte for byte"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the original record's key"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _operation(action: str, channel: str, summary: str, messages: list[str]) -> Document:
    return {
        "action": action,
        "summary": summary,
        "channel": _ref("channels", channel),
        "messages": [_ref(f"channels/{channel}/messages", name) for name in messages],
    }


def _operations(order_events: list[str], stock: list[str], newest: set[str]) -> Document:
    placed = [name for name in order_events if name.split(".")[0] in PLACED_BY_CLIENTS]
    decided = [name for name in order_events if name not in placed]
    return {
        "placeOrders": _operation(
            "send", "orderEvents", "Clients place orders and ask for cancellations "
            "(the front door, or producer.api.OrderProducer)", _only(placed, newest),
        ),
        "reportProgress": _operation(
            "send", "orderEvents", "The stages record what they decided", _only(decided, newest)
        ),
        "followOrders": _operation(
            "receive", "orderEvents", "The stages and other readers follow every order",
            order_events,
        ),
        "commandStock": _operation(
            "send", "stock", "Set stock; stages hold and release it", _only(stock, newest)
        ),
        "keepStock": _operation(
            "receive", "stock", "The inventory stage applies stock commands", stock
        ),
        "inspectDeadLetters": _operation(
            "receive", "deadLetters", "Operators inspect and redrive dead letters", ["DeadLetter"]
        ),
    }  # fmt: skip


def _only(names: list[str], newest: set[str]) -> list[str]:
    return [name for name in names if name in newest]


def _event_messages(root: Path) -> dict[str, tuple[str, Document]]:
    """Every published schema version as a message, by name, with its family."""
    published = sorted(schemas.published(root))
    if not published:
        raise FileNotFoundError(f"no event schema files under {root} (orderflow schema export)")
    found: dict[str, tuple[str, Document]] = {}
    for family, what in (("order-events", "the order id"), ("stock", "the SKU")):
        models = {type_name(model): model for model in family_models(family)}
        for key in published:
            if key.family == family and key.type in models:
                found[message_name(key)] = (family, _event_message(key, models[key.type], what))
    return found


def document(settings: Settings, schemas_root: Path = SCHEMAS_DIR) -> Document:
    """The AsyncAPI document for these settings' topics (partition counts, retention), with
    the event schema versions published under `schemas_root`."""
    topics = Topics.from_settings(settings)
    events = _event_messages(schemas_root)
    order_events = [name for name, (family, _) in events.items() if family == "order-events"]
    stock = [name for name, (family, _) in events.items() if family == "stock"]
    newest = {f"{name}.v{version}" for name, version in LATEST.items()}
    messages = {name: message for name, (_, message) in events.items()}
    messages["DeadLetter"] = _dead_letter_message()
    channels = {
        "orderEvents": _channel(
            topics.order_events, settings, "Every order event, keyed by order id", order_events
        ),
        "stock": _channel(topics.stock, settings, "Stock commands, keyed by SKU", stock),
        "deadLetters": _channel(
            topics.dead_letters, settings, "Records a stage gave up on", ["DeadLetter"]
        ),
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "orderflow events", "version": "1", "description": _DESCRIPTION},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": _operations(order_events, stock, newest),
        "components": {
            "parameters": {
                "prefix": {
                    "description": "ORDERFLOW_TOPIC_PREFIX of the deployment",
                    "default": "orderflow",
                }
            },
            "messages": messages,
        },
    }


def render(doc: Document) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def contract_defaults() -> Settings:
    """The settings the committed document describes: every default, whatever the environment
    (model_construct reads no ORDERFLOW_* variable)."""
    return Settings.model_construct()
