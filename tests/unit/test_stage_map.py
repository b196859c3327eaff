"""Which stage made a move, and which stage an order waits for (orders/domain/stages.py)."""

import pytest

from orders.domain.stages import DONE, Stage, orders_by_stage, stage_of, waiting_at
from orders.domain.status import TRANSITIONS, OrderStatus

S = OrderStatus


@pytest.mark.parametrize(
    ("move", "stage"),
    [
        ((None, S.PENDING), Stage.PLACED),
        ((S.PENDING, S.VALIDATED), Stage.VALIDATION),
        ((S.PENDING, S.REJECTED), Stage.VALIDATION),
        ((S.VALIDATED, S.REJECTED), Stage.RESERVATION),  # unknown SKU, found at its owner
        ((S.VALIDATED, S.RESERVED), Stage.RESERVATION),
        ((S.VALIDATED, S.OUT_OF_STOCK), Stage.RESERVATION),
        ((S.RESERVED, S.PAID), Stage.PAYMENT),
        ((S.RESERVED, S.PAYMENT_DECLINED), Stage.PAYMENT),
        ((S.PAID, S.COMPLETED), Stage.FULFILMENT),
        ((S.PENDING, S.CANCELLED), Stage.CANCELLATION),
        ((S.RESERVED, S.CANCELLED), Stage.CANCELLATION),
    ],
)
def test_stage_of_a_move(move: tuple[OrderStatus | None, OrderStatus], stage: Stage) -> None:
    assert stage_of(move) is stage


def test_every_legal_move_has_a_stage() -> None:
    for previous, targets in TRANSITIONS.items():
        for new in targets:
            assert isinstance(stage_of((previous, new)), Stage)


def test_unfinished_orders_wait_for_the_next_stage_and_ended_ones_for_none() -> None:
    assert [waiting_at(s) for s in (S.PENDING, S.VALIDATED, S.RESERVED, S.PAID)] == [
        Stage.VALIDATION,
        Stage.RESERVATION,
        Stage.PAYMENT,
        Stage.FULFILMENT,
    ]
    assert all(waiting_at(s) is None for s in OrderStatus if s.is_terminal)


def test_orders_by_stage_adds_up_the_statuses() -> None:
    counts = {s: 0 for s in OrderStatus} | {S.PENDING: 3, S.PAID: 1, S.REJECTED: 2, S.COMPLETED: 5}

    assert orders_by_stage(counts) == {
        "validation": 3,
        "reservation": 0,
        "payment": 0,
        "fulfilment": 1,
        DONE: 7,
    }
