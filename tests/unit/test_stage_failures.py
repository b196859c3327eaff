"""The failure policy through the real agents (agent.test_context()), with a recording sink."""

from orders.contracts import codec
from orders.domain.events import OrderValidated, ReserveStock, StockLineRefused, StockReserved
from orders.errors import StoreUnavailable
from orders.status_store.memory import InMemoryStatusStore
from orders.status_store.model import StatusChange
from stream_processors.gateway import SimulatedGateway
from tests.unit.stage_helpers import Wired, eventually, placed, put

NEGATIVE_QUANTITY = codec.encode(placed("o-neg")).replace(b'"quantity":2', b'"quantity":-2')


async def test_poison_on_the_order_log_is_dead_lettered_once_and_the_orders_around_it_go_on() -> (
    None
):
    wired = Wired()
    async with wired.agent("validation").test_context() as agent:
        await put(agent, placed("before"), "before")
        await agent.put(b"\x00not json", key=b"o-junk")
        await agent.put(NEGATIVE_QUANTITY, key=b"o-neg")
        await put(agent, placed("after"), "after")
        await eventually(
            lambda: len(wired.outbox.order_events) == 2 and len(wired.dead_letters.letters) == 2
        )
    assert sorted(e.order_id for e in wired.outbox.order_events) == ["after", "before"]
    assert all(isinstance(e, OrderValidated) for e in wired.outbox.order_events)
    junk, negative = sorted(wired.dead_letters.letters, key=lambda letter: letter.failure.offset)
    assert (junk.key, junk.value) == (b"o-junk", b"\x00not json")
    assert (negative.key, negative.value) == (b"o-neg", NEGATIVE_QUANTITY)
    assert "items.0.quantity" in negative.failure.error_message
    order_events = wired.worker.topics.order_events.get_topic_name()
    for letter, offset in ((junk, 1), (negative, 2)):
        failure = letter.failure
        # decoded once for every stage by the order log's reader: one dead letter
        assert (failure.stage, failure.error_class) == ("dispatch", "DecodeError")
        assert failure.attempts == 1
        assert (failure.topic, failure.offset) == (order_events, offset)


async def test_inventory_dead_letters_poison_on_the_stock_topic() -> None:
    wired = Wired()
    async with wired.agent("inventory").test_context() as agent:
        await agent.put(b'{"type": "StockSet"}', key=b"A")  # no sku, no quantity
        await put(agent, ReserveStock(sku="NOPE", order_id="o1", quantity=1), "NOPE")
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    (refused,) = wired.outbox.order_events
    assert isinstance(refused, StockLineRefused)
    (letter,) = wired.dead_letters.letters
    assert letter.failure.stage == "inventory"
    assert letter.failure.topic == wired.worker.topics.stock.get_topic_name()


class BuggyGateway(SimulatedGateway):
    """A gateway client with a bug for one token: it raises what no one expects."""

    def __init__(self) -> None:
        super().__init__(latency_s=0)
        self.bug_calls = 0

    async def charge(
        self, *, idempotency_key: str, amount_minor: int, currency: str, token: str
    ) -> str:
        if token == "tok_bug":
            self.bug_calls += 1
            raise AttributeError("'NoneType' object has no attribute 'id'")
        return await super().charge(
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            token=token,
        )


def reserved(order_id: str, token: str) -> StockReserved:
    p = placed(order_id, token=token)
    return StockReserved(**p.terms())


async def test_payment_bug_is_retried_then_dead_lettered_and_the_next_order_paid() -> None:
    wired = Wired()
    gateway = BuggyGateway()
    wired.worker.deps.gateway = gateway
    bug = codec.encode(reserved("o-bug", "tok_bug"))
    async with wired.agent("payment").test_context() as agent:
        await agent.put(bug, key=b"o-bug")
        await put(agent, reserved("o-ok", "tok_ok"), "o-ok")
        await eventually(
            lambda: len(wired.outbox.order_events) == 1 and len(wired.dead_letters.letters) == 1
        )
    assert gateway.bug_calls == wired.worker.deps.dlq_max_attempts == 3
    assert [e.order_id for e in wired.outbox.order_events] == ["o-ok"]
    (letter,) = wired.dead_letters.letters
    assert (letter.key, letter.value) == (b"o-bug", bug)
    assert (letter.failure.error_class, letter.failure.attempts) == ("AttributeError", 3)


class FlakyStore(InMemoryStatusStore):
    """Redis that is down for the first `outage` writes."""

    def __init__(self, outage: int) -> None:
        super().__init__()
        self.outage = outage

    async def apply(self, change: StatusChange) -> bool:
        if self.outage:
            self.outage -= 1
            raise StoreUnavailable("redis apply failed: Connection refused")
        return await super().apply(change)


async def test_projection_waits_out_a_store_outage_and_dead_letters_nothing() -> None:
    wired = Wired()
    wired.store = FlakyStore(outage=5)  # longer than dlq_max_attempts
    async with wired.agent("projection").test_context() as agent:
        await put(agent, placed("o1"), "o1")
        await eventually(lambda: "o1" in wired.store.orders)
    assert wired.store.outage == 0
    assert wired.dead_letters.letters == []
