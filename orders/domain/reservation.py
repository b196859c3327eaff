"""Reservation stage rules: an order reserves all of its lines or none of them.

Each SKU has one writer, so an order's lines are reserved one SKU at a time and the answers
come back on the order's event log. This saga collects them; once every SKU has answered it
decides: all held -> StockReserved; otherwise the held lines are released and the order is
rejected (unknown SKU) or out of stock. A cancelled order gives back whatever it holds or may
still be granted, and a saga cancelled before it started never starts.
"""

from pydantic import BaseModel, ConfigDict

from orders.domain.events import (
    OrderCancelled,
    OrderEvent,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    ReleaseStock,
    ReserveStock,
    StockEvent,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
    derived_event_id,
)
from orders.domain.lines import quantities_by_sku

Effects = tuple[list[OrderEvent], list[StockEvent]]


class Reservation(BaseModel):
    """One order's reservation in progress (stored per order id by the stage)."""

    model_config = ConfigDict(frozen=True)

    validated: OrderValidated | None = None  # None: cancelled before the saga started
    held: dict[str, int] = {}
    refused: dict[str, StockLineRefused] = {}
    decided: bool = False
    cancelled: bool = False

    @property
    def wanted(self) -> dict[str, int]:
        return quantities_by_sku(self.validated.items) if self.validated else {}

    @property
    def complete(self) -> bool:
        return set(self.held) | set(self.refused) >= set(self.wanted)


def start(validated: OrderValidated) -> tuple[Reservation, list[ReserveStock]]:
    """Begin reserving: one request per SKU, each to that SKU's owner."""
    requests = [
        ReserveStock(
            event_id=derived_event_id(validated.event_id, "reserve", sku),
            sku=sku,
            order_id=validated.order_id,
            quantity=quantity,
        )
        for sku, quantity in sorted(quantities_by_sku(validated.items).items())
    ]
    return Reservation(validated=validated), requests


def record(
    reservation: Reservation, answer: StockLineReserved | StockLineRefused
) -> tuple[Reservation, Effects]:
    """Take one SKU's answer; decide once every SKU has answered."""
    if reservation.cancelled:
        return reservation, ([], _released_at_once(answer))
    if reservation.decided:
        return reservation, ([], _late_release(reservation, answer))
    if isinstance(answer, StockLineReserved):
        updated = reservation.model_copy(
            update={"held": {**reservation.held, answer.sku: answer.quantity}}
        )
    else:
        updated = reservation.model_copy(
            update={"refused": {**reservation.refused, answer.sku: answer}}
        )
    if not updated.complete or updated.validated is None:
        return updated, ([], [])
    return updated.model_copy(update={"decided": True}), _decide(updated, updated.validated)


def cancel(
    reservation: Reservation | None, cancelled: OrderCancelled
) -> tuple[Reservation, list[StockEvent]]:
    """The order was cancelled: give back every SKU it holds or may still be granted."""
    if reservation is None:  # not started yet: remember, so that it never starts
        return Reservation(cancelled=True, decided=True), []
    if reservation.cancelled:
        return reservation, []
    done = reservation.model_copy(update={"cancelled": True, "decided": True})
    if reservation.decided and reservation.refused:
        return done, []  # a failed reservation gave its stock back when it decided
    # Held, or asked for and perhaps still on the way (a late hold is released on arrival).
    releases: list[StockEvent] = [
        ReleaseStock(
            event_id=derived_event_id(cancelled.event_id, "release", sku),
            sku=sku,
            order_id=cancelled.order_id,
        )
        for sku in sorted(reservation.wanted)
    ]
    return done, releases


def _released_at_once(answer: StockLineReserved | StockLineRefused) -> list[StockEvent]:
    if not isinstance(answer, StockLineReserved):
        return []
    release = ReleaseStock(
        event_id=derived_event_id(answer.event_id, "release"),
        sku=answer.sku,
        order_id=answer.order_id,
    )
    return [release]


def _decide(reservation: Reservation, validated: OrderValidated) -> Effects:
    event_id = derived_event_id(validated.event_id, "reservation-decision")
    if not reservation.refused:
        return [StockReserved(event_id=event_id, **validated.terms())], []
    releases: list[StockEvent] = [_release(reservation, sku) for sku in sorted(reservation.held)]
    return [_refusal(reservation, validated.order_id, event_id)], releases


def _refusal(reservation: Reservation, order_id: str, event_id: str) -> OrderEvent:
    unknown = sorted(sku for sku, r in reservation.refused.items() if r.unknown_sku)
    if unknown:
        return OrderRejected(
            event_id=event_id, order_id=order_id, reason=f"unknown SKU: {', '.join(unknown)}"
        )
    short = ", ".join(
        f"{sku} (wanted {r.quantity}, available {r.available})"
        for sku, r in sorted(reservation.refused.items())
    )
    return OutOfStock(event_id=event_id, order_id=order_id, reason=f"not enough stock: {short}")


def _late_release(
    reservation: Reservation, answer: StockLineReserved | StockLineRefused
) -> list[StockEvent]:
    """A hold that arrives after a negative decision is given back at once."""
    failed = bool(reservation.refused)
    if failed and isinstance(answer, StockLineReserved) and answer.sku not in reservation.held:
        return [_release(reservation, answer.sku)]
    return []


def _release(reservation: Reservation, sku: str) -> ReleaseStock:
    validated = reservation.validated
    if validated is None:  # pragma: no cover - only sagas that started hold stock
        raise ValueError("a saga that never started holds no stock")
    return ReleaseStock(
        event_id=derived_event_id(validated.event_id, "release", sku),
        sku=sku,
        order_id=validated.order_id,
    )
