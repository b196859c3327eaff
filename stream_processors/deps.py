"""What the stages need, built by the app factory and handed to each stage."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from orders.domain.payment import PaymentGateway
from orders.domain.validation import Limits
from orders.status_store import StatusStore
from stream_processors.dead_letters import DeadLetterSink
from stream_processors.outbox import Outbox


@dataclass
class FaustTopics:
    order_events: Any  # faust.Topic of raw bytes keyed by order id
    stock: Any  # faust.Topic of raw bytes keyed by SKU
    dead_letters: Any  # faust.Topic of raw bytes keyed like the original record


@dataclass
class StageDeps:
    outbox: Outbox
    limits: Limits
    gateway: PaymentGateway
    payment_attempts: int
    status_store: Callable[[], Awaitable[StatusStore]]  # made on first use, in the worker's loop
    dead_letters: DeadLetterSink
    dlq_max_attempts: int = 3  # tries of a failing handler before its record is dead-lettered
    retry_initial_s: float = 0.1  # backoff of every retry: payment, transient failures, bugs
    retry_max_s: float = 5.0
