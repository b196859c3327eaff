"""The topics and their events as an AsyncAPI 3.0 document, generated from the contract.

For services that publish or consume order events directly: topic names (templates on the
`{prefix}`), keys, partitions, retention, and one message per event type whose payload schema
comes from the event models (pydantic, validation mode: what a reader accepts). The committed
copy is `contracts/asyncapi.json` (`orderflow asyncapi export`); a test keeps it current.
"""

import json
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from orders.contracts import dead_letters as dl
from orders.contracts.topics import Topics, TopicSpec
from orders.domain.events import AnyOrderEvent, AnyStockEvent
from orders.settings import Settings

Document = dict[str, Any]

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
DEFAULT_PATH = Path("contracts/asyncapi.json")
_SCHEMAS = "#/components/schemas/"

ORDER_EVENTS: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(AnyOrderEvent)[0])
STOCK_EVENTS: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(AnyStockEvent)[0])
PLACED_BY_CLIENTS = ("OrderPlaced", "CancellationRequested")  # the rest come from the stages

_DESCRIPTION = (
    "orderflow's Kafka topics. Values are UTF-8 JSON objects whose `type` names the event "
    "(orders/contracts/codec.py); keys are UTF-8 strings. Delivery is at least once: events "
    "caused by another carry an id derived from their cause, so readers ignore repeats by "
    "`event_id`. Producers must partition keys like Kafka's Java client (murmur2; with "
    "librdkafka set `partitioner=murmur2_random`), so all of an order's events share a partition."
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


def _event_message(model: type[BaseModel], key: str) -> Document:
    name = model.__name__
    return {
        "name": name,
        "title": name,
        "summary": (model.__doc__ or name).split("\n\n")[0].replace("\n", " ").strip(),
        "contentType": "application/json",
        "payload": {"$ref": _SCHEMAS + name},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": key},
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


def _operations(order_events: list[str], stock: list[str]) -> Document:
    stage_events = [name for name in order_events if name not in PLACED_BY_CLIENTS]
    return {
        "placeOrders": _operation(
            "send",
            "orderEvents",
            "Clients place orders and ask for cancellations "
            "(the front door, or producer.api.OrderProducer)",
            list(PLACED_BY_CLIENTS),
        ),
        "reportProgress": _operation(
            "send", "orderEvents", "The stages record what they decided", stage_events
        ),
        "followOrders": _operation(
            "receive",
            "orderEvents",
            "The stages and other readers follow every order",
            order_events,
        ),
        "commandStock": _operation("send", "stock", "Set stock; stages hold and release it", stock),
        "keepStock": _operation(
            "receive", "stock", "The inventory stage applies stock commands", stock
        ),
        "inspectDeadLetters": _operation(
            "receive", "deadLetters", "Operators inspect and redrive dead letters", ["DeadLetter"]
        ),
    }


def _payload_schemas(models: tuple[type[BaseModel], ...]) -> Document:
    _, defs = models_json_schema(
        [(m, "validation") for m in models], ref_template=_SCHEMAS + "{model}"
    )
    return dict(sorted(defs.get("$defs", {}).items()))


def document(settings: Settings) -> Document:
    """The AsyncAPI document for these settings' topics (partition counts, retention)."""
    topics = Topics.from_settings(settings)
    order_events = [m.__name__ for m in ORDER_EVENTS]
    stock = [m.__name__ for m in STOCK_EVENTS]
    messages = {m.__name__: _event_message(m, "the order id") for m in ORDER_EVENTS}
    messages |= {m.__name__: _event_message(m, "the SKU") for m in STOCK_EVENTS}
    messages["DeadLetter"] = _dead_letter_message()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "orderflow events", "version": "1", "description": _DESCRIPTION},
        "defaultContentType": "application/json",
        "channels": {
            "orderEvents": _channel(
                topics.order_events, settings, "Every order event, keyed by order id", order_events
            ),
            "stock": _channel(topics.stock, settings, "Stock commands, keyed by SKU", stock),
            "deadLetters": _channel(
                topics.dead_letters, settings, "Records a stage gave up on", ["DeadLetter"]
            ),
        },
        "operations": _operations(order_events, stock),
        "components": {
            "parameters": {
                "prefix": {
                    "description": "ORDERFLOW_TOPIC_PREFIX of the deployment",
                    "default": "orderflow",
                }
            },
            "messages": messages,
            "schemas": _payload_schemas(ORDER_EVENTS + STOCK_EVENTS),
        },
    }


def render(doc: Document) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def contract_defaults() -> Settings:
    """The settings the committed document describes: every default, whatever the environment
    (model_construct reads no ORDERFLOW_* variable)."""
    return Settings.model_construct()
