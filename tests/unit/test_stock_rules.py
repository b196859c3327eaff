"""Stock of one SKU: reserve, release, commit and set, each idempotent per order."""

import random

from orders.domain.events import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockEvent,
    StockLineRefused,
    StockLineReserved,
    StockSet,
)
from orders.domain.stock import SkuStock, apply_stock_command

SKU = "SKU-1"


def _reserve(order_id: str, quantity: int, event_id: str | None = None) -> ReserveStock:
    return ReserveStock(
        event_id=event_id or f"reserve-{order_id}", sku=SKU, order_id=order_id, quantity=quantity
    )


def _stock(on_hand: int, **held: int) -> SkuStock:
    return SkuStock(on_hand=on_hand, held=held)


def test_reserve_of_unknown_sku_is_refused_as_unknown() -> None:
    state, replies = apply_stock_command(None, _reserve("o1", 2))
    assert state is None
    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, StockLineRefused)
    assert reply.unknown_sku is True
    assert (reply.order_id, reply.sku, reply.quantity, reply.available) == ("o1", SKU, 2, 0)


def test_release_and_commit_of_unknown_sku_do_nothing() -> None:
    assert apply_stock_command(None, ReleaseStock(sku=SKU, order_id="o1")) == (None, [])
    assert apply_stock_command(None, CommitStock(sku=SKU, order_id="o1")) == (None, [])


def test_stock_set_creates_an_unknown_sku() -> None:
    state, replies = apply_stock_command(None, StockSet(sku=SKU, quantity=7))
    assert replies == []
    assert state == _stock(7)
    assert state is not None
    assert state.available == 7


def test_stock_set_overwrites_on_hand_and_keeps_holds() -> None:
    state, replies = apply_stock_command(_stock(10, o1=3), StockSet(sku=SKU, quantity=20))
    assert replies == []
    assert state == _stock(20, o1=3)
    assert state is not None
    assert state.available == 17


def test_reserve_within_available_holds_and_replies_reserved() -> None:
    command = _reserve("o2", 4)
    state, replies = apply_stock_command(_stock(10, o1=3), command)
    assert state == _stock(10, o1=3, o2=4)
    assert state is not None
    assert state.available == 3
    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, StockLineReserved)
    assert (reply.order_id, reply.sku, reply.quantity) == ("o2", SKU, 4)
    assert reply.event_id != command.event_id


def test_reserve_of_exactly_what_is_available_succeeds() -> None:
    state, replies = apply_stock_command(_stock(5, o1=2), _reserve("o2", 3))
    assert state == _stock(5, o1=2, o2=3)
    assert isinstance(replies[0], StockLineReserved)


def test_reserve_over_available_is_refused_with_what_is_available() -> None:
    before = _stock(10, o1=8)
    state, replies = apply_stock_command(before, _reserve("o2", 3))
    assert state == before
    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, StockLineRefused)
    assert reply.unknown_sku is False
    assert (reply.quantity, reply.available) == (3, 2)


def test_redelivered_reserve_is_idempotent() -> None:
    command = _reserve("o1", 4)
    once, first = apply_stock_command(_stock(10), command)
    twice, second = apply_stock_command(once, command)
    assert twice == once == _stock(10, o1=4)
    assert isinstance(first[0], StockLineReserved)
    assert first[0].quantity == 4
    assert second[0].event_id == first[0].event_id
    assert second[0].model_dump(exclude={"occurred_at"}) == first[0].model_dump(
        exclude={"occurred_at"}
    )


def test_second_reserve_for_the_same_order_does_not_hold_twice() -> None:
    once, _ = apply_stock_command(_stock(10), _reserve("o1", 4, event_id="a"))
    again, replies = apply_stock_command(once, _reserve("o1", 4, event_id="b"))
    assert again == _stock(10, o1=4)
    assert isinstance(replies[0], StockLineReserved)
    assert replies[0].quantity == 4


def test_redelivered_reserve_answers_reserved_even_when_nothing_is_left() -> None:
    once, _ = apply_stock_command(_stock(4), _reserve("o1", 4))
    assert once is not None
    assert once.available == 0
    _, replies = apply_stock_command(once, _reserve("o1", 4))
    assert isinstance(replies[0], StockLineReserved)


def test_release_gives_back() -> None:
    state, replies = apply_stock_command(
        _stock(10, o1=3, o2=4), ReleaseStock(sku=SKU, order_id="o1")
    )
    assert replies == []
    assert state == _stock(10, o2=4)
    assert state is not None
    assert state.available == 6


def test_release_and_commit_of_an_order_holding_nothing_are_no_ops() -> None:
    before = _stock(10, o1=3)
    assert apply_stock_command(before, ReleaseStock(sku=SKU, order_id="o9")) == (before, [])
    assert apply_stock_command(before, CommitStock(sku=SKU, order_id="o9")) == (before, [])


def test_release_twice_is_a_no_op_the_second_time() -> None:
    once, _ = apply_stock_command(_stock(10, o1=3), ReleaseStock(sku=SKU, order_id="o1"))
    twice, _ = apply_stock_command(once, ReleaseStock(sku=SKU, order_id="o1"))
    assert twice == once == _stock(10)


def test_commit_reduces_on_hand_and_drops_the_hold() -> None:
    state, replies = apply_stock_command(
        _stock(10, o1=3, o2=4), CommitStock(sku=SKU, order_id="o1")
    )
    assert replies == []
    assert state == _stock(7, o2=4)
    assert state is not None
    assert state.available == 3


def test_commit_twice_reduces_on_hand_once() -> None:
    once, _ = apply_stock_command(_stock(10, o1=3), CommitStock(sku=SKU, order_id="o1"))
    twice, _ = apply_stock_command(once, CommitStock(sku=SKU, order_id="o1"))
    assert twice == once == _stock(7)


def test_available_is_never_negative_after_stock_set_below_held() -> None:
    state, _ = apply_stock_command(_stock(10, o1=6, o2=3), StockSet(sku=SKU, quantity=4))
    assert state == _stock(4, o1=6, o2=3)
    assert state is not None
    assert state.available == 0
    after, replies = apply_stock_command(state, _reserve("o3", 1))
    assert after == state
    assert isinstance(replies[0], StockLineRefused)
    assert replies[0].available == 0


def _random_command(rng: random.Random, step: int) -> StockEvent:
    order_id = f"o{rng.randrange(8)}"
    kind = rng.choices(["reserve", "release", "commit", "set"], weights=[5, 2, 2, 1])[0]
    if kind == "reserve":
        # Sometimes redeliver an earlier command id to exercise idempotency.
        event_id = f"r-{order_id}" if rng.random() < 0.3 else f"r-{step}"
        return _reserve(order_id, rng.randint(1, 6), event_id=event_id)
    if kind == "release":
        return ReleaseStock(sku=SKU, order_id=order_id)
    if kind == "commit":
        return CommitStock(sku=SKU, order_id=order_id)
    return StockSet(sku=SKU, quantity=rng.randint(0, 25))


def test_random_commands_keep_the_invariants() -> None:
    rng = random.Random(20240607)
    state: SkuStock | None = None
    seen = {"reserved": 0, "refused": 0, "oversold": 0}
    for step in range(2000):
        command = _random_command(rng, step)
        before = state
        state, replies = apply_stock_command(state, command)
        if state is None:
            assert before is None
            assert not isinstance(command, StockSet)
            continue

        held = sum(state.held.values())
        excess_before = sum(before.held.values()) - before.on_hand if before else 0
        excess = held - state.on_hand
        if excess > 0:
            seen["oversold"] += 1
        if not isinstance(command, StockSet):
            # Only a StockSet may push holds above what is on hand, or make that worse.
            assert excess <= max(0, excess_before), (step, command, before, state)
        assert state.available >= 0
        assert state.available == max(0, state.on_hand - held)
        assert all(q >= 1 for q in state.held.values())

        for reply in replies:
            assert isinstance(command, ReserveStock)
            assert reply.order_id == command.order_id
            if isinstance(reply, StockLineReserved):
                seen["reserved"] += 1
                assert state.held[command.order_id] == reply.quantity
            else:
                assert isinstance(reply, StockLineRefused)
                seen["refused"] += 1
                assert command.order_id not in state.held
                assert reply.available < command.quantity
    # The run exercised every branch, or it would prove little.
    assert all(count > 0 for count in seen.values()), seen


def test_commit_after_stock_lowered_below_holds_never_goes_negative() -> None:
    stock = SkuStock(on_hand=5, held={"a": 5})
    lowered, _ = apply_stock_command(stock, StockSet(sku="A", quantity=0))
    assert lowered is not None
    committed, _ = apply_stock_command(lowered, CommitStock(sku="A", order_id="a"))
    assert committed == SkuStock(on_hand=0, held={})


def _replay(commands: list[tuple[int, StockEvent]], start: SkuStock) -> SkuStock | None:
    state: SkuStock | None = start
    for position, command in commands:
        state, _ = apply_stock_command(state, command, position)
    return state


def test_a_reservation_and_commit_redelivered_after_both_were_applied_change_nothing() -> None:
    # A worker applied both and its table was saved, but the offsets were not committed:
    # the next owner of the partition gets both again.
    log: list[tuple[int, StockEvent]] = [
        (1, StockSet(sku=SKU, quantity=10)),
        (2, _reserve("o1", 3)),
        (3, CommitStock(sku=SKU, order_id="o1")),
    ]
    applied = _replay(log, SkuStock())
    assert applied == SkuStock(on_hand=7, held={}, applied=3)

    assert _replay(log[1:], applied) == applied  # not held again, not taken off twice


def test_a_redelivered_reservation_is_answered_like_the_first_time() -> None:
    command = _reserve("o1", 3)
    held, first = apply_stock_command(_stock(10), command, 5)
    assert held is not None

    again, replies = apply_stock_command(held, command, 5)

    assert again == held
    assert [r.model_dump(exclude={"occurred_at"}) for r in replies] == [
        r.model_dump(exclude={"occurred_at"}) for r in first
    ]  # the same reply, with the same event id


def test_a_redelivered_reservation_of_an_ended_order_is_refused_and_holds_nothing() -> None:
    state, _ = apply_stock_command(_stock(10), _reserve("o1", 3), 5)
    state, _ = apply_stock_command(state, ReleaseStock(sku=SKU, order_id="o1"), 6)

    again, replies = apply_stock_command(state, _reserve("o1", 3), 5)

    assert again == state
    assert len(replies) == 1
    assert isinstance(replies[0], StockLineRefused)


def test_commands_past_the_last_position_apply() -> None:
    state, _ = apply_stock_command(_stock(10), _reserve("o1", 3), 5)
    after, replies = apply_stock_command(state, _reserve("o2", 2), 6)
    assert after == SkuStock(on_hand=10, held={"o1": 3, "o2": 2}, applied=6)
    assert isinstance(replies[0], StockLineReserved)
