"""The order state machine: the TRANSITIONS table and the functions that consult it."""

import pytest

from orders.domain.status import (
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    OrderStatus,
    can_transition,
    is_legal_path,
    predecessors,
    transition,
)
from orders.errors import IllegalTransition

S = OrderStatus

LEGAL = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
ILLEGAL = sorted((a, b) for a in OrderStatus for b in OrderStatus if b not in TRANSITIONS[a])

# The documented contract, written out independently of the table under test.
EXPECTED_EDGES = {
    (S.PENDING, S.VALIDATED),
    (S.PENDING, S.REJECTED),
    (S.PENDING, S.CANCELLED),
    (S.VALIDATED, S.RESERVED),
    (S.VALIDATED, S.OUT_OF_STOCK),
    (S.VALIDATED, S.REJECTED),
    (S.VALIDATED, S.CANCELLED),
    (S.RESERVED, S.PAID),
    (S.RESERVED, S.PAYMENT_DECLINED),
    (S.RESERVED, S.CANCELLED),
    (S.PAID, S.COMPLETED),
}


def _id(pair: tuple[OrderStatus, OrderStatus]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_table_covers_every_status_and_matches_the_contract() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert set(LEGAL) == EXPECTED_EDGES
    assert len(LEGAL) + len(ILLEGAL) == len(OrderStatus) ** 2


@pytest.mark.parametrize("pair", LEGAL, ids=_id)
def test_every_legal_transition_is_allowed(pair: tuple[OrderStatus, OrderStatus]) -> None:
    current, new = pair
    assert can_transition(current, new) is True
    assert transition(current, new) is new


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_every_illegal_transition_is_refused(pair: tuple[OrderStatus, OrderStatus]) -> None:
    current, new = pair
    assert can_transition(current, new) is False
    with pytest.raises(IllegalTransition) as info:
        transition(current, new)
    assert info.value.current is current
    assert info.value.new is new
    assert str(current) in str(info.value)
    assert str(new) in str(info.value)


def test_illegal_pairs_include_self_loops_and_moves_out_of_terminal_states() -> None:
    for status in OrderStatus:
        assert (status, status) in ILLEGAL
    for status in TERMINAL:
        assert all((status, other) in ILLEGAL for other in OrderStatus)


def test_unknown_order_may_only_become_pending() -> None:
    assert INITIAL is S.PENDING
    assert can_transition(None, S.PENDING) is True
    assert transition(None, S.PENDING) is S.PENDING


@pytest.mark.parametrize("new", [s for s in OrderStatus if s is not S.PENDING])
def test_unknown_order_cannot_start_anywhere_but_pending(new: OrderStatus) -> None:
    assert can_transition(None, new) is False
    with pytest.raises(IllegalTransition) as info:
        transition(None, new)
    assert info.value.current is None
    assert info.value.new is new


@pytest.mark.parametrize("new", list(OrderStatus))
def test_predecessors_agree_with_the_table(new: OrderStatus) -> None:
    preds = predecessors(new)
    for current in OrderStatus:
        assert (current in preds) == can_transition(current, new)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (S.PENDING, set()),
        (S.VALIDATED, {S.PENDING}),
        (S.RESERVED, {S.VALIDATED}),
        (S.PAID, {S.RESERVED}),
        (S.COMPLETED, {S.PAID}),
        (S.REJECTED, {S.PENDING, S.VALIDATED}),
        (S.OUT_OF_STOCK, {S.VALIDATED}),
        (S.PAYMENT_DECLINED, {S.RESERVED}),
        (S.CANCELLED, {S.PENDING, S.VALIDATED, S.RESERVED}),
    ],
)
def test_predecessors_values(new: OrderStatus, expected: set[OrderStatus]) -> None:
    assert predecessors(new) == expected


@pytest.mark.parametrize(
    "path",
    [
        [S.PENDING],
        [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.COMPLETED],
        [S.PENDING, S.REJECTED],
        [S.PENDING, S.CANCELLED],
        [S.PENDING, S.VALIDATED, S.REJECTED],
        [S.PENDING, S.VALIDATED, S.OUT_OF_STOCK],
        [S.PENDING, S.VALIDATED, S.CANCELLED],
        [S.PENDING, S.VALIDATED, S.RESERVED, S.PAYMENT_DECLINED],
        [S.PENDING, S.VALIDATED, S.RESERVED, S.CANCELLED],
    ],
)
def test_good_paths_are_legal(path: list[OrderStatus]) -> None:
    assert is_legal_path(path) is True


@pytest.mark.parametrize(
    "path",
    [
        [],
        [S.VALIDATED],  # does not start at PENDING
        [S.VALIDATED, S.RESERVED],
        [S.PENDING, S.PENDING],  # self-loop
        [S.PENDING, S.RESERVED],  # skips VALIDATED
        [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.CANCELLED],  # cancel after payment
        [S.PENDING, S.VALIDATED, S.RESERVED, S.PAID, S.COMPLETED, S.COMPLETED],
        [S.PENDING, S.REJECTED, S.VALIDATED],  # out of a terminal state
        [S.PENDING, S.VALIDATED, S.RESERVED, S.VALIDATED],  # backwards
    ],
)
def test_bad_paths_are_illegal(path: list[OrderStatus]) -> None:
    assert is_legal_path(path) is False


def test_terminal_set_is_the_five_terminal_states() -> None:
    names = {"COMPLETED", "REJECTED", "OUT_OF_STOCK", "PAYMENT_DECLINED", "CANCELLED"}
    assert {s.value for s in TERMINAL} == names
    for status in OrderStatus:
        assert status.is_terminal is (status.value in names)


def test_initial_status_accepted_as_plain_string() -> None:
    # Statuses read back from Redis are plain strings.
    assert can_transition(None, "PENDING")  # type: ignore[arg-type]
