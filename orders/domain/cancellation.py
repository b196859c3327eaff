"""Cancellation rules: an order may be cancelled until its payment is settled.

The payment stage is where "cancel" and "charge" meet, so it decides. It reads the order's
events in log order and keeps one record per order; whichever of CancellationRequested and
StockReserved comes first in the log wins:

- a request before any payment outcome cancels the order (OrderCancelled) and a later
  StockReserved is not charged; the reservation stage gives the stock back;
- a request after the payment was settled, or after the order ended, is refused
  (CancellationRefused, no status change).

Redelivered events repeat the recorded decision (same events, same ids) and charge nobody twice.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from orders.domain.events import (
    CancellationRefused,
    CancellationRequested,
    OrderCancelled,
    OrderEvent,
    PaymentCaptured,
    PaymentDeclined,
    derived_event_id,
)
from orders.domain.status import OrderStatus

# Statuses from which a cancellation can succeed (the front door answers 409 for the others).
CANCELLABLE: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.RESERVED}
)


class Phase(StrEnum):
    """Where an order is, as far as the payment stage is concerned."""

    CANCELLED = "CANCELLED"  # cancelled before payment: never charge it
    SETTLED = "SETTLED"  # payment captured or declined: too late to cancel
    ENDED = "ENDED"  # ended before payment (rejected, out of stock): nothing to cancel


class PaymentRecord(BaseModel):
    """What the payment stage remembers of one order."""

    model_config = ConfigDict(frozen=True)

    phase: Phase
    outcome: PaymentCaptured | PaymentDeclined | OrderCancelled | None = None


def settled(outcome: PaymentCaptured | PaymentDeclined) -> PaymentRecord:
    return PaymentRecord(phase=Phase.SETTLED, outcome=outcome)


ENDED = PaymentRecord(phase=Phase.ENDED)


def request_cancellation(
    record: PaymentRecord | None, request: CancellationRequested
) -> tuple[PaymentRecord, list[OrderEvent]]:
    """Decide a cancellation request; returns the new record and the events to send."""
    if record is None:
        cancelled = OrderCancelled(
            event_id=derived_event_id(request.event_id, "cancelled"),
            order_id=request.order_id,
            reason=request.reason,
        )
        return PaymentRecord(phase=Phase.CANCELLED, outcome=cancelled), [cancelled]
    if record.phase is Phase.CANCELLED:
        # Sent again: if only the record survived a crash, the event still goes out.
        return record, [record.outcome] if record.outcome else []
    refused = CancellationRefused(
        event_id=derived_event_id(request.event_id, "refused"),
        order_id=request.order_id,
        reason=_too_late(record),
    )
    return record, [refused]


def outcome_to_repeat(record: PaymentRecord | None) -> list[OrderEvent] | None:
    """For a StockReserved: None means "charge now"; a list means "do not charge, send
    these" (the settled outcome again on redelivery; nothing for a cancelled order)."""
    if record is None:
        return None
    if record.phase is Phase.SETTLED and record.outcome is not None:
        return [record.outcome]
    return []


def _too_late(record: PaymentRecord) -> str:
    if isinstance(record.outcome, PaymentCaptured):
        return "too late to cancel: payment was already captured"
    if isinstance(record.outcome, PaymentDeclined):
        return "too late to cancel: payment was already declined"
    return "too late to cancel: the order had already ended"
