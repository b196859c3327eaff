"""Listing orders and counting them: what the status table's indexes answer (GET /orders,
GET /stats). Both stores implement it: the Redis one from the indexes its Lua keeps
(orders/status_store/redis_queries.py), the in-memory fake by scanning.

Lists are newest first: by creation time, then by order id, both descending. A page's cursor
is the last order it looked at; the next page starts after it, so pages neither repeat nor skip
orders while new ones arrive (new orders are newer than any cursor).
"""

import base64
import binascii
import math
import re
from dataclasses import dataclass, field

from orders.domain.stages import Move
from orders.domain.status import OrderStatus
from orders.status_store.model import OrderView

MAX_LIMIT = 100
# Status changes are counted per bucket of this many seconds of their time (for throughput
# plots); a bucket is kept for MOVES_KEPT_S after it ends.
BUCKET_S = 10
MOVES_KEPT_S = 15 * 60

# Bucket start (epoch seconds, a multiple of BUCKET_S) -> how many of each move it saw.
MoveCounts = dict[int, dict[Move, int]]
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class BadCursor(ValueError):
    """A cursor this store did not hand out."""


@dataclass(frozen=True)
class Cursor:
    score: str  # the creation time as the index holds it (epoch seconds)
    order_id: str

    def encode(self) -> str:
        raw = f"{self.score}|{self.order_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor `encode` made; BadCursor for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as e:
            raise BadCursor("not a cursor") from e
        score, _, order_id = raw.partition("|")
        if not _ID.match(order_id) or not _finite(score):
            raise BadCursor("not a cursor")
        return cls(score, order_id)


def _finite(score: str) -> bool:
    try:
        return math.isfinite(float(score))
    except ValueError:
        return False


@dataclass(frozen=True)
class ListQuery:
    status: OrderStatus | None = None
    customer_id: str | None = None
    limit: int = 20
    after: Cursor | None = None


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[OrderView, ...]  # without their history
    next: Cursor | None  # None: nothing older


@dataclass(frozen=True)
class Stats:
    counts: dict[OrderStatus, int] = field(default_factory=dict)
    placed_last_minute: int = 0

    @property
    def placed_per_second(self) -> float:
        return self.placed_last_minute / 60


def bucket_start(epoch_seconds: float) -> int:
    """The start of the bucket that counts a change at `epoch_seconds`."""
    return math.floor(epoch_seconds / BUCKET_S) * BUCKET_S


def move_field(move: Move) -> str:
    """How a move is named in a bucket's hash: `PENDING>VALIDATED`, `>PENDING` for a new order."""
    previous, new = move
    return f"{previous.value if previous else ''}>{new.value}"


def parse_move(field_name: str) -> Move | None:
    """The move a bucket's field names; None for a field this version does not know."""
    previous, sep, new = field_name.partition(">")
    known = OrderStatus.__members__
    if not sep or new not in known or (previous and previous not in known):
        return None
    return (OrderStatus(previous) if previous else None, OrderStatus(new))
