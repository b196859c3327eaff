"""An in-memory event log (a LogSource fake) and order histories to put in it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fakeredis.aioredis import FakeRedis

from orders.contracts.codec import encode
from orders.domain.events import (
    Event,
    OrderCancelled,
    OrderCompleted,
    OrderPlaced,
    OrderValidated,
    PaymentCaptured,
    StockLineReserved,
    StockReserved,
)
from orders.domain.lines import OrderLine
from orders.errors import ReplayError
from orders.replay.build import Reporter, Silent
from orders.replay.redis_tables import StatusTables
from orders.replay.redis_writer import TableWriter
from orders.replay.replay import Replayer
from orders.replay.source import Record

NS = "unit"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ITEMS = (OrderLine(sku="A", quantity=1, unit_price=Decimal("2.50")),)


@dataclass
class Entry:
    value: bytes | None
    at: datetime


@dataclass
class FakeLog:
    """Partitions of records with timestamps; reads like KafkaLogSource, `per_poll` at most."""

    partitions_: dict[int, list[Entry]] = field(default_factory=dict)
    per_poll: int = 7
    assigned: dict[int, int] = field(default_factory=dict)
    paused: set[int] = field(default_factory=set)

    def append(self, partition: int, value: bytes | None, at: datetime) -> int:
        records = self.partitions_.setdefault(partition, [])
        records.append(Entry(value, at))
        return len(records) - 1

    def partitions(self) -> list[int]:
        if not self.partitions_:
            raise ReplayError("no topic")
        return sorted(self.partitions_)

    def watermarks(self) -> dict[int, tuple[int, int]]:
        return {p: (0, len(self.partitions_[p])) for p in self.partitions()}

    def offsets_after(self, at: datetime) -> dict[int, int]:
        return {
            p: next((o for o, e in enumerate(records) if e.at > at), len(records))
            for p, records in self.partitions_.items()
        }

    def assign(self, positions: Mapping[int, int]) -> None:
        self.assigned = dict(positions)
        self.paused = set()

    def pause(self, partition: int) -> None:
        self.paused.add(partition)

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        out: list[Record] = []
        for partition, position in sorted(self.assigned.items()):
            records = self.partitions_[partition]
            while partition not in self.paused and position < len(records):
                if len(out) >= min(max_records, self.per_poll):
                    break
                out.append(Record(partition, position, records[position].value))
                position += 1
            self.assigned[partition] = position
        return out

    def position(self, partition: int) -> int | None:
        return self.assigned.get(partition)

    def close(self) -> None:
        return None


def order_id(n: int) -> str:
    return f"01JD3Q7ZK5V9W8X2Y4N6M0{n:04d}"


def happy_path(oid: str, at: datetime) -> list[Event]:
    terms = {"order_id": oid, "items": ITEMS, "currency": "USD", "payment_token": "tok",
             "total": Decimal("2.50"), "total_minor": 250}  # fmt: skip
    placed = OrderPlaced(customer_id="c", occurred_at=at, **terms)
    return [
        placed,
        OrderValidated(occurred_at=at + timedelta(seconds=1), **terms),
        StockLineReserved(order_id=oid, sku="A", quantity=1, occurred_at=at),  # no status
        StockReserved(occurred_at=at + timedelta(seconds=2), **terms),
        PaymentCaptured(
            order_id=oid,
            payment_id="p",
            amount=Decimal("2.50"),
            items=ITEMS,
            occurred_at=at + timedelta(seconds=3),
        ),
        OrderCompleted(order_id=oid, occurred_at=at + timedelta(seconds=4)),
    ]


def cancelled(oid: str, at: datetime) -> list[Event]:
    return [
        *happy_path(oid, at)[:2],
        OrderCancelled(order_id=oid, reason="customer: é", occurred_at=at),
    ]


def filled_log(
    orders: int = 12, partitions: int = 3
) -> tuple[FakeLog, list[tuple[int, int, Event]]]:
    """A log of `orders` orders (every third cancelled, one still open), events interleaved
    like a busy system makes them; also (partition, offset, event) of every record."""
    log = FakeLog()
    for p in range(partitions):
        log.partitions_[p] = []
    written: list[tuple[int, int, Event]] = []
    stories = []
    for n in range(orders):
        at = T0 + timedelta(minutes=n)
        if n == orders - 1:
            story = happy_path(order_id(n), at)[:3]  # still open: VALIDATED
        else:
            story = cancelled(order_id(n), at) if n % 3 == 2 else happy_path(order_id(n), at)
        stories.append(story)
    for step in range(max(len(s) for s in stories)):
        for n, story in enumerate(stories):
            if step < len(story):
                partition = n % partitions
                event = story[step]
                offset = log.append(partition, encode(event), T0 + timedelta(seconds=len(written)))
                written.append((partition, offset, event))
    return log, written


def replayer(
    log: FakeLog, client: FakeRedis, reporter: Reporter | None = None, **kw: object
) -> Replayer:
    return Replayer(
        log, StatusTables(client, NS), TableWriter(client, NS), batch=5, freeze_s=5,
        grace_s=0, reporter=reporter or Silent(), **kw,  # type: ignore[arg-type]
    )  # fmt: skip
