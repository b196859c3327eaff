"""Where stages put what they cannot process: the dead-letter topic, or a recording fake."""

from dataclasses import dataclass
from typing import Any, Protocol

from orders.contracts.dead_letters import Failure, Headers


class DeadLetterSink(Protocol):
    async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        """Return only once the record is stored (acknowledged by the broker)."""


class FaustDeadLetters:
    """Sends through Faust's producer and waits for the broker's acknowledgement: the stage
    loop moves past a record only once its dead letter is safe."""

    def __init__(self, topic: Any) -> None:
        self._topic = topic

    async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        # force=True: send now even if the app defers sends until commit (attachments).
        delivery = await self._topic.send(key=key, value=value, headers=headers, force=True)
        await delivery  # the broker's ack, or the send's error


@dataclass(frozen=True)
class DeadLetter:
    key: bytes | None
    value: bytes | None
    headers: Headers

    @property
    def failure(self) -> Failure:
        return Failure.from_headers(self.headers)


class RecordingDeadLetters:
    """The fake for unit tests: remembers what was dead-lettered, in order."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def send(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        self.letters.append(DeadLetter(key, value, list(headers)))
