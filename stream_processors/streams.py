"""The failure policy every stage call runs under (StageLoop): hand the event to the stage,
retry or dead-letter as the failure's kind says.

Failure policy (README, "Failure policy"):

- poison: a record the codec cannot decode (DecodeError: not JSON, schema-invalid, unknown
  type) goes to the dead-letter topic at once;
- transient: a TransientError (a dependency down, e.g. Redis) or a retriable Kafka error is
  retried with capped exponential backoff, forever, never dead-lettered. The stage does not
  move on, so the record's offset is not committed before its work took effect;
- bug: any other exception the handler raises is retried `dlq_max_attempts` times in all, with
  short backoff, then the record goes to the dead-letter topic.

The loop moves past a dead-lettered record only once the broker acknowledged its dead letter,
so its partition keeps flowing and nothing is dropped.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka.errors import KafkaError, KafkaTimeoutError

from orders.contracts.dead_letters import Failure, dead_letter_headers
from orders.errors import DecodeError, TransientError
from stream_processors.deps import StageDeps
from stream_processors.metrics import (
    DEAD_LETTERS,
    EVENTS_PROCESSED,
    HANDLER_FAILURES,
    TRANSIENT_RETRIES,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

Decode = Callable[[bytes | None], T]
Handle = Callable[[T, int], Awaitable[None]]  # (event, its offset in the log)


def is_transient(exc: BaseException) -> bool:
    """Failures that go away by themselves: retried forever, never dead-lettered."""
    if isinstance(exc, TransientError | KafkaTimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


def backoff(attempt: int, initial_s: float, max_s: float) -> float:
    """Capped exponential: initial, 2 x initial, 4 x initial, ... up to max_s."""
    return min(initial_s * 2.0 ** min(attempt - 1, 32), max_s)


class StageLoop(Generic[T]):
    """One stage's policy for one record at a time (`process`), over any message with topic,
    partition, offset, key, value and headers (a Faust Message in production)."""

    def __init__(self, stage: str, decode: Decode[T], handle: Handle[T], deps: StageDeps) -> None:
        self.stage = stage
        self.decode = decode
        self.handle = handle
        self.deps = deps

    async def process(self, message: Any) -> None:
        """Decode the record, then handle it (both under the failure policy)."""
        await self._run(message, lambda: self.handle(self.decode(message.value), message.offset))

    async def handle_decoded(self, message: Any, event: T) -> None:
        """Handle an event already decoded from `message`, under the failure policy."""
        await self._run(message, lambda: self.handle(event, message.offset))

    async def dead_letter_poison(self, message: Any, exc: DecodeError) -> None:
        """`message` could not be decoded: dead-letter it at once."""
        await self._dead_letter(message, exc, 1, _now())

    async def _run(self, message: Any, attempt: Callable[[], Awaitable[None]]) -> None:
        failures = transient = 0
        first_failed_at: datetime | None = None
        while True:
            try:
                await attempt()
            except DecodeError as exc:  # poison: decoding again would fail again
                await self._dead_letter(message, exc, 1, first_failed_at or _now())
                return
            except Exception as exc:  # the policy decides: retry, or dead-letter
                first_failed_at = first_failed_at or _now()
                if is_transient(exc):
                    transient += 1
                    await self._wait_out(message, exc, transient)
                    continue
                failures += 1
                HANDLER_FAILURES.labels(self.stage, type(exc).__name__).inc()
                if failures >= self.deps.dlq_max_attempts:
                    log.error("%s: handler failed %d times", self.stage, failures, exc_info=exc)
                    await self._dead_letter(message, exc, failures, first_failed_at)
                    return
                log.warning("%s: handler failed (attempt %d): %r", self.stage, failures, exc)
                await asyncio.sleep(self._delay(failures))
            else:
                EVENTS_PROCESSED.labels(self.stage, "handled").inc()
                return

    async def _wait_out(self, message: Any, exc: Exception, attempt: int) -> None:
        delay = self._delay(attempt)
        TRANSIENT_RETRIES.labels(self.stage, type(exc).__name__).inc()
        log.warning(
            "%s: %s at %s[%s]@%s, retrying in %.1fs: %s",
            self.stage, type(exc).__name__, message.topic, message.partition,
            message.offset, delay, exc,
        )  # fmt: skip
        await asyncio.sleep(delay)

    async def _dead_letter(
        self, message: Any, exc: Exception, attempts: int, first_failed_at: datetime
    ) -> None:
        error_class = type(exc).__name__
        failure = Failure(
            stage=self.stage,
            error_class=error_class,
            error_message=str(exc),
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            attempts=attempts,
            first_failed_at=first_failed_at,
        )
        headers = dead_letter_headers(failure, _header_pairs(message.headers))
        await self._send_until_stored(message, headers)
        DEAD_LETTERS.labels(self.stage, error_class).inc()
        EVENTS_PROCESSED.labels(self.stage, "dead_lettered").inc()
        log.error(
            "%s: dead-lettered %s[%s]@%s after %d attempt(s): %s: %s",
            self.stage, message.topic, message.partition, message.offset,
            attempts, error_class, failure.error_message[:200],
        )  # fmt: skip

    async def _send_until_stored(self, message: Any, headers: list[tuple[str, bytes]]) -> None:
        sent = 0
        while True:
            try:
                await self.deps.dead_letters.send(message.key, message.value, headers)
                return
            except Exception as exc:  # never drop the record: the partition waits instead
                sent += 1
                delay = self._delay(sent)
                log.error(
                    "%s: dead letter not stored, retrying in %.1fs: %r", self.stage, delay, exc
                )
                await asyncio.sleep(delay)

    def _delay(self, attempt: int) -> float:
        return backoff(attempt, self.deps.retry_initial_s, self.deps.retry_max_s)


def _now() -> datetime:
    return datetime.now(UTC)


def _header_pairs(
    headers: Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None,
) -> list[tuple[str, bytes]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


# Bytes in, bytes out: the codec, not Faust, turns them into events. Faust picks a table's
# changelog serializers from key_type/value_type given directly (a Schema's are ignored).
RAW_TABLE: dict[str, Any] = {"key_type": bytes, "value_type": bytes}


def changelog_options(topic_config: Mapping[str, str]) -> dict[str, Any]:
    """A table's keyword arguments that give its changelog topic this config when Faust
    creates it (its replication factor is the app's topic_replication_factor)."""
    return {"extra_topic_configs": dict(topic_config)}
