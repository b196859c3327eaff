"""The change feed's message: what the status table's writer publishes on `{ns}:changes` for
every status change it writes (one Redis pub/sub channel per namespace, whichever table is live).

A message is a small JSON object: ``{"order_id", "version", "status", "reason", "id"}``, "id"
being the id of its entry in the change log (change_log.py), which keeps the recent notes
(without their "id") for event streams that resume. Pub/sub does not keep messages, so the
channel only says *that* an order changed: readers that must not miss a change (long-polls,
event streams) read the order from the table, or the log, after being woken.
"""

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orders.domain.status import OrderStatus
from orders.errors import DecodeError
from orders.status_store.model import StatusChange


class FeedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    version: int
    status: OrderStatus
    reason: str | None = None
    # The change log entry's id (None: a note without one, e.g. one stored in the log itself).
    id: str | None = Field(None, pattern=r"^[0-9]{1,20}-[0-9]{1,20}$")


def feed_message(change: StatusChange) -> str:
    """The message announcing `change` (JSON text)."""
    return json.dumps(
        {
            "order_id": change.order_id,
            "version": change.version,
            "status": change.status.value,
            "reason": change.reason,
        },
        ensure_ascii=False,
    )


def decode_feed_message(data: str | bytes) -> FeedMessage:
    """A message from the channel; DecodeError when it is not one."""
    try:
        return FeedMessage.model_validate_json(data)
    except ValidationError as e:
        raise DecodeError(f"not a change feed message: {data[:200]!r}") from e
