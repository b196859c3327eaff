"""A simulated payment gateway with deterministic test tokens (see orders.domain.payment)."""

import asyncio
import uuid

from orders.domain.payment import (
    TOKEN_DECLINE,
    TOKEN_INSUFFICIENT_FUNDS,
    TOKEN_TIMEOUT,
    PaymentRefused,
)
from orders.errors import GatewayMalfunction, GatewayTimeout

_REFUSALS = {
    TOKEN_DECLINE: "card declined",
    TOKEN_INSUFFICIENT_FUNDS: "insufficient funds",
}


class SimulatedGateway:
    """Answers after `latency_s`; remembers each idempotency key's result like a real gateway
    would, so retried or redelivered charges are not captured twice. With `malfunction` (fault
    injection) it answers every charge with an unexpected error and captures nothing."""

    def __init__(
        self, latency_s: float = 0.005, timeout_s: float = 0.25, *, malfunction: bool = False
    ) -> None:
        self.latency_s = latency_s
        self.timeout_s = timeout_s
        self.malfunction = malfunction
        self.captures: dict[str, str] = {}

    async def charge(
        self, *, idempotency_key: str, amount_minor: int, currency: str, token: str
    ) -> str:
        if token == TOKEN_TIMEOUT:
            await asyncio.sleep(self.timeout_s)
            raise GatewayTimeout(f"no answer from the payment gateway within {self.timeout_s}s")
        await asyncio.sleep(self.latency_s)
        if self.malfunction:
            raise GatewayMalfunction(
                "payment gateway answered 500 Internal Server Error "
                "(fault injection: ORDERFLOW_FAULT_INJECTION_GATEWAY_MALFUNCTION)"
            )
        if token in _REFUSALS:
            raise PaymentRefused(_REFUSALS[token])
        if idempotency_key not in self.captures:
            self.captures[idempotency_key] = f"pay_{uuid.uuid4().hex[:16]}"
        return self.captures[idempotency_key]
