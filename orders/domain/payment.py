"""Payment stage rules and the port to a payment gateway.

The gateway is told the order id as its idempotency key, so a redelivered StockReserved
charges nobody twice: the gateway answers the first charge's result again.
"""

from typing import Protocol

from orders.domain.events import PaymentCaptured, PaymentDeclined, StockReserved, derived_event_id
from orders.errors import PaymentError

# Deterministic test tokens understood by the simulated gateway.
TOKEN_DECLINE = "tok_decline"  # the card is declined
TOKEN_INSUFFICIENT_FUNDS = "tok_insufficient_funds"  # declined: insufficient funds
TOKEN_TIMEOUT = "tok_timeout"  # the gateway never answers in time


class PaymentRefused(PaymentError):
    """The gateway answered and said no; `reason` is shown to the customer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentGateway(Protocol):
    async def charge(
        self, *, idempotency_key: str, amount_minor: int, currency: str, token: str
    ) -> str:
        """Capture `amount_minor` (in the currency's minor units, as payment gateways take
        amounts); return the payment id. Raises PaymentRefused or GatewayTimeout."""
        ...


def captured(reserved: StockReserved, payment_id: str) -> PaymentCaptured:
    return PaymentCaptured(
        event_id=derived_event_id(reserved.event_id, "payment"),
        order_id=reserved.order_id,
        payment_id=payment_id,
        amount=reserved.total,
        items=reserved.items,
    )


def declined(reserved: StockReserved, reason: str) -> PaymentDeclined:
    return PaymentDeclined(
        event_id=derived_event_id(reserved.event_id, "payment"),
        order_id=reserved.order_id,
        reason=reason,
        items=reserved.items,
    )
