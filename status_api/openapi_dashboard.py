"""The dashboard's routes and its JSON (GET /dashboard.json) in the status API's OpenAPI
document. The body is status_api/dashboard_snapshot.py's `snapshot()`."""

from orders import openapi as oa
from orders.domain.stages import Stage
from orders.openapi import Schema, answer, error, ref
from status_api.openapi_schemas import STATUS

OPERATIONS = "operations"
_INT: Schema = {"type": "integer"}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_TIME: Schema = {"type": "string", "format": "date-time"}
_TEXT_OR_NULL: Schema = {"type": ["string", "null"]}


def _object(
    properties: Schema, description: str | None = None, *, nullable: bool = False
) -> Schema:
    schema: Schema = {
        "type": ["object", "null"] if nullable else "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _list(items: Schema, description: str | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    return {**schema, "description": description} if description else schema


def _stages() -> Schema:
    item = _object({
        "stage": {"enum": [s.value for s in Stage]},
        "waiting": {"type": ["integer", "null"], "minimum": 0,
                    "description": "unfinished orders waiting for this stage (null: none wait "
                    "for it, e.g. placed)"},
        "per_second": {"type": "number", "minimum": 0},
        "last_minute": _COUNT,
        "series": _list(_COUNT, "status changes per bucket, oldest first; the last one is "
                        "still filling"),
    })  # fmt: skip
    return _object(
        {"bucket_s": _COUNT, "from": _TIME, "items": _list(item)},
        "status changes per stage, from the status table's counters (null: Redis is down)",
        nullable=True,
    )


def _kafka() -> Schema:
    partition = _object({
        "topic": {"type": "string"}, "partition": _COUNT,
        "committed": {"type": ["integer", "null"], "description": "null: nothing committed"},
        "end": _INT, "lag": _COUNT, "owners": _list({"type": "string"}),
        "series": _list(_COUNT, "lag at each of `series_at`"),
    })  # fmt: skip
    lag = _object({
        "total": {"type": ["integer", "null"], "minimum": 0},
        "by_topic": {"type": "object", "additionalProperties": _COUNT},
        "partitions": _list(partition),
        "series": _list(_COUNT, "total lag at each of `series_at`"),
    })  # fmt: skip
    worker = _object({
        "client_id": {"type": "string"}, "member_id": {"type": "string"},
        "host": {"type": "string"},
        "assigned": _list(_object({"topic": {"type": "string"},
                                   "partitions": _list(_COUNT)})),
        "changelog_partitions": _COUNT,
    })  # fmt: skip
    dead = _object({"topic": {"type": "string"},
                    "depth": {"type": ["integer", "null"], "minimum": 0},
                    "series": _list(_COUNT)})  # fmt: skip
    return _object({
        "available": {"type": "boolean"}, "error": _TEXT_OR_NULL,
        "sampled_at": {"type": ["string", "null"], "format": "date-time"},
        "group": {"type": "string"}, "state": _TEXT_OR_NULL,
        "series_at": _list(_TIME), "lag": lag, "dead_letters": dead, "workers": _list(worker),
        "cluster": _cluster(),
    }, "the workers' consumer group, as the status API last sampled it")  # fmt: skip


def _cluster() -> Schema:
    broker = _object({"id": _INT, "address": {"type": "string"},
                      "leads": _COUNT})  # fmt: skip
    partition = _object({
        "topic": {"type": "string"}, "partition": _COUNT,
        "leader": {"type": ["integer", "null"], "description": "broker id; null: offline"},
        "replicas": _list(_INT), "isr": _list(_INT, "the replicas in sync with the leader"),
        "under_replicated": {"type": "boolean"},
    })  # fmt: skip
    return _object(
        {"brokers": _list(broker, "the brokers that are up, with the partitions each leads"),
         "partitions": _list(partition), "under_replicated": _COUNT, "offline": _COUNT},
        "the cluster: brokers, and each partition's leader and in-sync replicas (null: its "
        "metadata did not come)",
        nullable=True,
    )  # fmt: skip


def _overdue() -> Schema:
    order = _object({
        "order_id": {"type": "string"}, "ref": {"type": "string"}, "status": STATUS,
        "since": _TIME, "waiting_s": {"type": "number"},
    })  # fmt: skip
    return _object(
        {"deadline_s": {"type": "number"}, "count": _COUNT, "more": {"type": "boolean"},
         "oldest": _list(order)},
        "unfinished orders in their status for longer than the order deadline (null: Redis "
        "is down)",
        nullable=True,
    )  # fmt: skip


def dashboard_schema() -> Schema:
    return _object({
        "generated_at": _TIME, "window_s": {"type": "number"},
        "store": _object({"available": {"type": "boolean"}, "error": _TEXT_OR_NULL}),
        "stages": _stages(), "kafka": _kafka(), "overdue": _overdue(),
    })  # fmt: skip


def dashboard_paths() -> dict[str, Schema]:
    static = {"name": "filename", "in": "path", "required": True,
              "description": "dashboard.css or dashboard.js",
              "schema": {"type": "string"}}  # fmt: skip
    files = {"200": {"description": "The file", "content": {
                 "text/css": {"schema": {"type": "string"}},
                 "text/javascript": {"schema": {"type": "string"}}}},
             "404": error("No such file")}  # fmt: skip
    return {
        "/dashboard": {"get": oa.operation(
            "The operator's dashboard (polls /dashboard.json)",
            {"200": oa.text("An HTML page", "text/html")}, OPERATIONS, operationId="dashboard")},
        "/dashboard.json": {"get": oa.operation(
            "The pipeline at a glance: stage throughput, consumer lag, dead letters, workers, "
            "overdue orders", {"200": answer("The dashboard's figures", ref("Dashboard"))},
            OPERATIONS, operationId="dashboardData")},
        "/dashboard/static/{filename}": {"get": oa.operation(
            "The dashboard's CSS and JavaScript", files, OPERATIONS,
            operationId="dashboardStatic", parameters=[static])},
    }  # fmt: skip
