"""Stages fed version-1 events (as v1 writers wrote them) act on the newest model: validation
carries the upcast terms forward at v2, the payment stage charges the minor-unit total, and a
reservation saga stored before the upgrade still decides."""

from orders.contracts.codec import decode_order_event
from orders.domain.events import OrderValidated, PaymentCaptured, StockReserved
from stream_processors.gateway import SimulatedGateway
from stream_processors.reservation import ReservationStage
from tests.fixtures.events_v1 import ORDER_EVENTS, as_json
from tests.unit.stage_helpers import Wired, eventually


class RecordingGateway(SimulatedGateway):
    def __init__(self) -> None:
        super().__init__(latency_s=0)
        self.charged: list[tuple[str, int, str]] = []

    async def charge(
        self, *, idempotency_key: str, amount_minor: int, currency: str, token: str
    ) -> str:
        self.charged.append((idempotency_key, amount_minor, currency))
        return await super().charge(
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            token=token,
        )


def _v1(kind: str, order_suffix: str) -> bytes:
    return next(
        raw
        for raw in ORDER_EVENTS
        if as_json(raw)["type"] == kind and as_json(raw)["order_id"].endswith(order_suffix)
    )


async def test_validation_of_a_v1_order_emits_v2_terms() -> None:
    wired = Wired()
    raw = _v1("OrderPlaced", "3A")
    async with wired.agent("validation").test_context() as agent:
        await agent.put(raw, key=as_json(raw)["order_id"].encode())
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    (validated,) = wired.outbox.order_events
    assert isinstance(validated, OrderValidated)
    assert (validated.schema_version, validated.total_minor) == (2, 1325)


async def test_payment_of_a_v1_reservation_charges_its_minor_units() -> None:
    wired = Wired()
    gateway = RecordingGateway()
    wired.worker.deps.gateway = gateway
    raw = _v1("StockReserved", "3A")
    async with wired.agent("payment").test_context() as agent:
        await agent.put(raw, key=as_json(raw)["order_id"].encode())
        await eventually(lambda: len(wired.outbox.order_events) == 1)
    assert gateway.charged == [("01JPBX4Z7K3M9Q2R5T8V0W1Y3A", 1325, "USD")]
    (paid,) = wired.outbox.order_events
    assert isinstance(paid, PaymentCaptured)
    assert str(paid.amount) == "13.25"


async def test_a_saga_stored_before_the_upgrade_still_decides() -> None:
    """An old worker's reservation saga (its OrderValidated at v1) is in the table; the new
    worker reads it, takes the answers, and reserves the order at v2."""
    wired = Wired()
    validated = _v1("OrderValidated", "3A")
    stored = (
        b'{"validated":%s,"held":{},"refused":{},"decided":false,"cancelled":false}' % validated
    )
    order_id = as_json(validated)["order_id"]
    sagas = {order_id.encode(): stored}
    stage = ReservationStage(sagas, wired.worker.deps)
    answers = [raw for raw in ORDER_EVENTS if as_json(raw)["type"] == "StockLineReserved"]
    assert len(answers) == 2
    for offset, raw in enumerate(answers):
        await stage.handle(decode_order_event(raw), offset)
    (reserved,) = wired.outbox.order_events
    assert isinstance(reserved, StockReserved)
    assert (reserved.schema_version, reserved.total_minor) == (2, 1325)
    assert b'"schema_version":2' in sagas[order_id.encode()]
