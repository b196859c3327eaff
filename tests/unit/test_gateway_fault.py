"""The gateway malfunction fault: the payment stage dead-letters StockReserved; the same
record put back after the fix charges once, and a second copy charges nobody again."""

from orders.contracts import codec
from orders.domain.events import PaymentCaptured, StockReserved
from orders.settings import Settings
from stream_processors.app import create_app
from stream_processors.gateway import SimulatedGateway
from tests.unit.stage_helpers import Wired, eventually, placed


class CountingGateway(SimulatedGateway):
    """Counts the charges that reach the gateway. It forgets its idempotency keys on purpose
    (like a restarted worker's simulated gateway), so only the stage can prevent a 2nd charge."""

    def __init__(self) -> None:
        super().__init__(latency_s=0)
        self.calls = 0

    async def charge(
        self, *, idempotency_key: str, amount_minor: int, currency: str, token: str
    ) -> str:
        self.calls += 1
        self.captures.clear()
        return await super().charge(
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            token=token,
        )


def test_the_fault_is_off_by_default_and_reaches_the_gateway_when_on() -> None:
    assert Settings().fault_injection_gateway_malfunction is False
    on = Settings(kafka_bootstrap_servers="127.0.0.1:1", fault_injection_gateway_malfunction=True)
    gateway = create_app(on).deps.gateway
    assert isinstance(gateway, SimulatedGateway)
    assert gateway.malfunction


async def test_a_dead_lettered_charge_put_back_after_the_fix_charges_exactly_once() -> None:
    wired = Wired()
    gateway = CountingGateway()
    gateway.malfunction = True
    wired.worker.deps.gateway = gateway
    p = placed("o1")
    reserved = codec.encode(StockReserved(**{**p.terms(), "payment_token": "tok_ok"}))
    async with wired.agent("payment").test_context() as agent:
        await agent.put(reserved, key=b"o1")
        await eventually(lambda: len(wired.dead_letters.letters) == 1)
        (letter,) = wired.dead_letters.letters
        assert (letter.failure.error_class, letter.failure.attempts) == ("GatewayMalfunction", 3)
        assert letter.value == reserved
        assert wired.outbox.order_events == []
        gateway.malfunction = False  # fixed; the redrive puts the same bytes back, twice
        await agent.put(letter.value, key=letter.key)
        await eventually(lambda: len(wired.outbox.order_events) == 1)
        await agent.put(letter.value, key=letter.key)
        await eventually(lambda: len(wired.outbox.order_events) == 2)
    assert gateway.calls == 3 + 1  # three failed tries, then one charge
    first, second = wired.outbox.order_events
    assert isinstance(first, PaymentCaptured)
    assert second == first  # the recorded outcome, repeated: same event id and payment id
