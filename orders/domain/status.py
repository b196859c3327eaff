"""Order states and the table of legal transitions between them."""

from collections.abc import Mapping
from enum import StrEnum

from orders.errors import IllegalTransition


class OrderStatus(StrEnum):
    """Where an order is. Clients rely on these names: never rename one."""

    PENDING = "PENDING"  # accepted by the front door, not looked at yet
    VALIDATED = "VALIDATED"  # lines and totals are within limits
    RESERVED = "RESERVED"  # every line's stock is held for this order
    PAID = "PAID"  # payment captured
    COMPLETED = "COMPLETED"  # fulfilled; terminal
    REJECTED = "REJECTED"  # invalid (limits, unknown SKU); terminal
    OUT_OF_STOCK = "OUT_OF_STOCK"  # some line could not be reserved; terminal
    PAYMENT_DECLINED = "PAYMENT_DECLINED"  # gateway refused or timed out; terminal
    CANCELLED = "CANCELLED"  # cancelled before payment was captured; terminal

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self]


_S = OrderStatus

TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING: frozenset({_S.VALIDATED, _S.REJECTED, _S.CANCELLED}),
    # REJECTED from VALIDATED: the catalog check happens at the SKU's owner (see README).
    _S.VALIDATED: frozenset({_S.RESERVED, _S.OUT_OF_STOCK, _S.REJECTED, _S.CANCELLED}),
    _S.RESERVED: frozenset({_S.PAID, _S.PAYMENT_DECLINED, _S.CANCELLED}),
    _S.PAID: frozenset({_S.COMPLETED}),
    _S.COMPLETED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.OUT_OF_STOCK: frozenset(),
    _S.PAYMENT_DECLINED: frozenset(),
    _S.CANCELLED: frozenset(),
}

INITIAL = OrderStatus.PENDING
TERMINAL: frozenset[OrderStatus] = frozenset(s for s in OrderStatus if s.is_terminal)


def can_transition(current: OrderStatus | None, new: OrderStatus) -> bool:
    """True when an order in `current` (None: not known yet) may move to `new`."""
    if current is None:
        return new == INITIAL
    return new in TRANSITIONS[current]


def transition(current: OrderStatus | None, new: OrderStatus) -> OrderStatus:
    """Return `new`, or raise IllegalTransition when the move is not in the table."""
    if not can_transition(current, new):
        raise IllegalTransition(current, new)
    return new


def predecessors(new: OrderStatus) -> frozenset[OrderStatus]:
    """The states from which `new` can be reached (what a compare-and-set may overwrite)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if new in targets)


def is_legal_path(path: list[OrderStatus]) -> bool:
    """True when `path` starts at PENDING and every step is a legal transition."""
    previous: OrderStatus | None = None
    for status in path:
        if not can_transition(previous, status):
            return False
        previous = status
    return bool(path)
