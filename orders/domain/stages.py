"""Which stage moves an order from one status to the next, and which stage an order waits for.

The operator's dashboard counts status changes per stage (throughput) and unfinished orders per
stage (what each stage still has to do). Both follow from the status alone, except REJECTED:
the validation stage rejects a PENDING order (limits), the reservation saga a VALIDATED one
(an unknown SKU, found at the SKU's owner). So a move is named by both of its statuses.
"""

from collections.abc import Mapping
from enum import StrEnum

from orders.domain.status import OrderStatus


class Stage(StrEnum):
    """A step of the pipeline, as the dashboard names it."""

    PLACED = "placed"  # the front door accepted the order (OrderPlaced -> PENDING)
    VALIDATION = "validation"  # limits checked: VALIDATED, or REJECTED from PENDING
    RESERVATION = "reservation"  # stock held: RESERVED, OUT_OF_STOCK, or REJECTED (unknown SKU)
    PAYMENT = "payment"  # charged: PAID or PAYMENT_DECLINED
    FULFILMENT = "fulfilment"  # COMPLETED
    CANCELLATION = "cancellation"  # CANCELLED, asked by the customer or the deadline job


Move = tuple[OrderStatus | None, OrderStatus]  # (previous status or None: new order, new status)

_S = OrderStatus

_BY_STATUS: dict[OrderStatus, Stage] = {
    _S.PENDING: Stage.PLACED,
    _S.VALIDATED: Stage.VALIDATION,
    _S.REJECTED: Stage.VALIDATION,
    _S.RESERVED: Stage.RESERVATION,
    _S.OUT_OF_STOCK: Stage.RESERVATION,
    _S.PAID: Stage.PAYMENT,
    _S.PAYMENT_DECLINED: Stage.PAYMENT,
    _S.COMPLETED: Stage.FULFILMENT,
    _S.CANCELLED: Stage.CANCELLATION,
}

# An unfinished order waits for the stage that moves it on (CANCELLED aside).
WAITING_AT: dict[OrderStatus, Stage] = {
    _S.PENDING: Stage.VALIDATION,
    _S.VALIDATED: Stage.RESERVATION,
    _S.RESERVED: Stage.PAYMENT,
    _S.PAID: Stage.FULFILMENT,
}


def stage_of(move: Move) -> Stage:
    """The stage whose decision made `move`."""
    previous, new = move
    if new is _S.REJECTED and previous is _S.VALIDATED:
        return Stage.RESERVATION
    return _BY_STATUS[new]


def waiting_at(status: OrderStatus) -> Stage | None:
    """The stage an order in `status` waits for; None once it has ended."""
    return WAITING_AT.get(status)


DONE = "done"  # orders_by_stage's key for ended orders


def orders_by_stage(counts: Mapping[OrderStatus, int]) -> dict[str, int]:
    """Orders per stage they wait for (from orders per status), ended ones under DONE."""
    found = {stage.value: 0 for stage in WAITING_AT.values()} | {DONE: 0}
    for status, count in counts.items():
        stage = waiting_at(status)
        found[stage.value if stage else DONE] += count
    return found
