"""The one root of orderflow's errors, and what each kind of failure means.

OrderflowError
├── IllegalTransition      a status change the state machine forbids (ignored by consumers)
├── DecodeError            bytes on a topic that are not a valid event (never retried: a stage
│                          sends the record to the dead-letter topic)
├── PublishError           the broker did not acknowledge an event (front door answers 503)
│   └── BrokerUnavailable  no broker answered within the publish timeout
├── TransientError         a dependency is down for now: a stage retries with capped backoff,
│   │                      forever, and never dead-letters (stream_processors/streams.py)
│   ├── StoreUnavailable   a Redis store (status table, idempotency keys) could not be reached
│   │   │                  (the HTTP services answer 503)
│   │   └── StatusTableFrozen  a replay is switching the live status table: writes wait
│   ├── GatewayTimeout*    no answer from the gateway in time (the payment stage retries it
│   │                      PAYMENT_ATTEMPTS times itself, then declines)
│   └── KafkaUnavailable   the broker did not answer a read-only question (offsets, the
│                          group's members): the dashboard says so and asks again later
├── IdempotencyError       an Idempotency-Key cannot be honoured as asked
│   ├── KeyReused          the key was used before with a different request body (422)
│   └── KeyBusy            another request with the key is still being published (503; retry)
├── PaymentError           the payment gateway failed
│   ├── GatewayTimeout*    (* one class: both a PaymentError and a TransientError)
│   └── GatewayMalfunction the gateway answered something that is neither a decision nor a
│                          timeout (a 5xx, a malformed reply): handled like a bug, so the
│                          record is dead-lettered after DLQ_MAX_ATTEMPTS tries
├── ReplayError            `orderflow replay` cannot do what was asked (a bad table name, a
│                          switch already in progress, a log that cannot be read to its end)
└── AuthError              authentication (orders/auth/)
    ├── InvalidToken       a bearer token missing, malformed, expired, badly signed... (401)
    └── AuthConfigError    the auth settings name no usable key (the service does not start)

Any other exception a stage raises is a bug in its handling: retried a few times, then the
record is dead-lettered so its partition keeps flowing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orders.domain.status import OrderStatus


class OrderflowError(Exception):
    """Root of every error orderflow raises on purpose."""


class IllegalTransition(OrderflowError):
    def __init__(self, current: OrderStatus | None, new: OrderStatus) -> None:
        super().__init__(f"illegal transition {current} -> {new}")
        self.current = current
        self.new = new


class DecodeError(OrderflowError):
    """Raised by the codec; the message says what was wrong with the payload."""


class PublishError(OrderflowError):
    """The event was not acknowledged by the broker."""


class BrokerUnavailable(PublishError):
    """No broker acknowledged within the publish timeout."""


class TransientError(OrderflowError):
    """A failure that goes away by itself (a server restarting, a timeout): retry, never drop."""


class StoreUnavailable(TransientError):
    """A Redis-backed store (the status table, the idempotency keys) did not answer."""


class StatusTableFrozen(StoreUnavailable):
    """The live status table is frozen for a moment while a replay switches tables; the
    projection retries the write, which then lands in the new table."""


class KafkaUnavailable(TransientError):
    """The broker did not answer a read-only question (offsets, a group's description)."""


class PaymentError(OrderflowError):
    """The payment gateway failed."""


class GatewayTimeout(PaymentError, TransientError):
    """The payment gateway did not answer in time."""


class GatewayMalfunction(PaymentError):
    """The payment gateway answered, but not with a decision: nothing was charged. Retrying at
    once does not help, so the payment stage dead-letters the StockReserved; once the gateway
    is fixed, `orderflow dlq redrive` puts it back."""


class IdempotencyError(OrderflowError):
    """A request's Idempotency-Key cannot be honoured as asked."""


class KeyReused(IdempotencyError):
    """The Idempotency-Key was used before with a different request body."""


class KeyBusy(IdempotencyError):
    """Another request with the same Idempotency-Key is still being published."""


class ReplayError(OrderflowError):
    """A status table rebuild cannot do what was asked; the message says why."""


class AuthError(OrderflowError):
    """Authentication failed or cannot be set up."""


class InvalidToken(AuthError):
    """No usable bearer token: answered 401 with `WWW-Authenticate: Bearer`; the message says
    what is wrong without echoing the token."""


class AuthConfigError(AuthError):
    """The auth settings cannot work (an unreadable key file, a key of an unaccepted type)."""
