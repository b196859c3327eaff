"""Payment stage: StockReserved -> PaymentCaptured | PaymentDeclined (through the gateway)."""

import asyncio
import logging
from typing import Any

from orders.contracts.codec import decode_order_event
from orders.domain import payment as rules
from orders.domain.events import AnyOrderEvent, PaymentCaptured, PaymentDeclined, StockReserved
from orders.errors import GatewayTimeout
from stream_processors.deps import FaustTopics, StageDeps
from stream_processors.streams import run_stage

log = logging.getLogger(__name__)


async def settle(reserved: StockReserved, deps: StageDeps) -> PaymentCaptured | PaymentDeclined:
    """Charge with the order id as idempotency key; retry timeouts with backoff, then decline."""
    delay = deps.retry_initial_s
    for attempt in range(1, deps.payment_attempts + 1):
        try:
            payment_id = await deps.gateway.charge(
                idempotency_key=reserved.order_id,
                amount=reserved.total,
                currency=reserved.currency,
                token=reserved.payment_token,
            )
        except rules.PaymentRefused as e:
            return rules.declined(reserved, e.reason)
        except GatewayTimeout as e:
            log.warning("payment for %s timed out (attempt %d): %s", reserved.order_id, attempt, e)
            if attempt < deps.payment_attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, deps.retry_max_s)
        else:
            return rules.captured(reserved, payment_id)
    return rules.declined(reserved, f"payment gateway timed out ({deps.payment_attempts} attempts)")


def register(app: Any, topics: FaustTopics, deps: StageDeps) -> Any:
    async def handle(event: AnyOrderEvent, offset: int) -> None:
        if isinstance(event, StockReserved):
            await deps.outbox.order_event(await settle(event, deps))

    async def payment(stream: Any) -> None:
        await run_stage(stream, decode_order_event, handle, stage="payment", deps=deps)

    return app.agent(topics.order_events, name="orderflow.payment")(payment)
