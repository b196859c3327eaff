"""The order log's one reader: decodes each record once, has its status change written and
hands the event to the stages that act on it, in the order's lane.

Which stage acts on which event is one table, ROUTES, read top to bottom like the flow of an
order. The rules stay in orders/domain; each stage module only loads and stores its table
and calls the rules. Every stage call runs under the stage's own failure policy
(stream_processors/streams.py), so a stage that gives up dead-letters the record under its
name and the record's other work goes on.

A cancellation request is noted when its record is *read* (`arrive`), before earlier records
of the same partition are done: the payment stage, which may be waiting on the gateway for
another order, then sees the request before it charges this order.
"""

from collections.abc import Mapping
from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain.events import (
    AnyOrderEvent,
    CancellationRequested,
    OrderCancelled,
    OrderPlaced,
    OrderRejected,
    OrderValidated,
    OutOfStock,
    PaymentCaptured,
    PaymentDeclined,
    StockLineRefused,
    StockLineReserved,
    StockReserved,
)
from orders.errors import DecodeError
from orders.status_store.projection import status_change
from stream_processors.deps import StageDeps
from stream_processors.status_writer import StatusWriter
from stream_processors.streams import Handle, StageLoop

DISPATCH = "dispatch"  # the stage named in the dead letter of a record nothing could decode
INTAKE = "cancellation-intake"

ROUTES: Mapping[type[AnyOrderEvent], tuple[str, ...]] = {
    OrderPlaced: ("validation",),
    OrderValidated: ("reservation",),
    StockLineReserved: ("reservation",),
    StockLineRefused: ("reservation",),
    StockReserved: ("payment",),
    CancellationRequested: ("payment",),  # noted on arrival by the intake (above)
    OrderRejected: ("payment",),
    OutOfStock: ("payment",),
    OrderCancelled: ("reservation",),
    PaymentCaptured: ("fulfilment",),
    PaymentDeclined: ("fulfilment",),
}


def stages_for(event: AnyOrderEvent) -> tuple[str, ...]:
    """The stages that act on `event`, in order (every event is also projected)."""
    return ROUTES.get(type(event), ())


class OrderPipeline:
    """The RecordHandler (stream_processors/consume.py) of the order log."""

    def __init__(self, stages: Mapping[str, Handle[AnyOrderEvent]], deps: StageDeps) -> None:
        self.loops = {
            name: StageLoop(name, decode_order_event, handle, deps)
            for name, handle in stages.items()
        }
        self.dispatch: StageLoop[AnyOrderEvent] = StageLoop(
            DISPATCH, decode_order_event, _nothing, deps
        )
        self.writer = StatusWriter(deps)

    async def arrive(self, message: Any) -> AnyOrderEvent | DecodeError:
        try:
            event = decode_order_event(message.value)
        except DecodeError as exc:
            return exc
        if isinstance(event, CancellationRequested) and INTAKE in self.loops:
            await self.loops[INTAKE].handle_decoded(message, event)
        return event

    async def work(self, message: Any, arrived: AnyOrderEvent | DecodeError) -> None:
        if isinstance(arrived, DecodeError):
            await self.dispatch.dead_letter_poison(message, arrived)
            return
        # The status change depends on the event alone: written while the stages work (a
        # charge can take seconds; RESERVED shows meanwhile), queued in the order's lane order.
        change = status_change(arrived, message.offset)
        written = self.writer.submit(message, change) if change is not None else None
        for stage in stages_for(arrived):
            await self.loops[stage].handle_decoded(message, arrived)
        if written is not None:
            await written

    async def close(self) -> None:
        await self.writer.close()


async def _nothing(event: AnyOrderEvent, offset: int) -> None:  # pragma: no cover
    return None
