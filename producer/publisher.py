"""The publishing port the front door depends on, and the in-memory fake for unit tests."""

from dataclasses import dataclass
from typing import Protocol

from orders.domain.events import Event


@dataclass(frozen=True)
class Delivered:
    """Where the broker put an event: its partition and its offset there (from the delivery
    report). For an order event the offset is the version the status table gives its change."""

    partition: int
    offset: int


class EventPublisher(Protocol):
    """Puts events on the log. `publish` returns only once the broker acknowledged the event."""

    async def publish(self, topic: str, key: str, event: Event) -> Delivered:
        """Where the event landed. Raises PublishError (BrokerUnavailable when no broker
        answered in time)."""
        ...

    async def ready(self) -> bool:
        """Whether the broker can be reached and the topics exist (for /readyz)."""
        ...

    async def close(self) -> None:
        """Deliver what is still queued, then release resources."""
        ...


@dataclass(frozen=True)
class Published:
    topic: str
    key: str
    event: Event


class RecordingPublisher:
    """Records what was published; can be told to fail, or to report itself not ready. Every
    event lands in partition 0, at the next offset."""

    def __init__(self, *, fail_with: Exception | None = None, is_ready: bool = True) -> None:
        self.published: list[Published] = []
        self.fail_with = fail_with
        self.is_ready = is_ready
        self.closed = False

    async def publish(self, topic: str, key: str, event: Event) -> Delivered:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(Published(topic, key, event))
        return Delivered(partition=0, offset=len(self.published) - 1)

    async def ready(self) -> bool:
        return self.is_ready and not self.closed

    async def close(self) -> None:
        self.closed = True
