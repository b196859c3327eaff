"""The direct runtime's producer on librdkafka (confluent-kafka).

A worker sends about a dozen records per order (events, stock commands, table changelog
records). librdkafka batches, sends and retries them on its own threads, in C; on the event
loop a send is one `produce()` call that only queues the record. The broker's
acknowledgements come back as delivery reports, which librdkafka hands over only inside
`poll()`: a daemon thread polls, collects the reports, and wakes the event loop once per
poll to settle their futures. aiokafka's producer did its batching, request encoding and
socket writes in Python on the worker's event loop; with this one the workers spent less CPU
per order and the stack did 1.2-1.4x the orders/s at full load (README, Benchmark).

`send` has the shape of aiokafka's `AIOKafkaProducer.send`: awaiting it queues the record and
returns a future that is done once the broker stored it (its result has `.partition` and
`.offset`) or fails once librdkafka gave up on it (`message.timeout.ms`).
"""

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from orders.contracts.topics import LIBRDKAFKA_PARTITIONER
from orders.settings import Settings

log = logging.getLogger(__name__)

# As Kafka Streams' delivery.timeout.ms: how long a record may wait for a broker (retries
# included) before the worker gives up on it and stops (kafka_io.Effects.settle).
DELIVERY_TIMEOUT_MS = 120_000
_POLL_S = 0.1  # how long one poll waits for reports: bounds how long stop() waits for the thread
_QUEUE_FULL_WAIT_S = 0.01


class Stored(NamedTuple):
    partition: int
    offset: int


class SendFailed(Exception):
    """The broker did not store a record: librdkafka's error, with its name."""

    def __init__(self, error: KafkaError) -> None:
        super().__init__(f"{error.name()}: {error.str()}")
        self.error = error


def producer_config(settings: Settings, name: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "client.id": f"orderflow-{name}",
        "acks": "all",
        "enable.idempotence": True,  # a retried batch is never written twice, nor reordered
        "partitioner": LIBRDKAFKA_PARTITIONER,  # a key's partition, as Faust and aiokafka pick it
        "linger.ms": settings.worker_producer_linger_ms,
        "message.timeout.ms": DELIVERY_TIMEOUT_MS,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "logger": log,  # librdkafka's logs, emitted by the poll thread
    }


class _Report(NamedTuple):
    future: "asyncio.Future[Stored]"
    error: KafkaError | None
    partition: int
    offset: int


class RdkafkaProducer:
    """`start()` inside the event loop, `send()` there, `stop()` sends what is queued."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._producer: Producer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: threading.Thread | None = None
        self._stopping = threading.Event()
        # Appended by whichever thread serves the reports (the poll thread, or flush() at
        # stop), emptied on the event loop: deque's append and popleft are thread-safe.
        self._reports: deque[_Report] = deque()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(self._config)
        self._poller = threading.Thread(
            target=self._poll_until_stopped,
            args=(self._producer, self._loop),
            name="worker-producer-poll",
            daemon=True,
        )
        self._poller.start()

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> "asyncio.Future[Stored]":
        producer, loop = self._producer, self._loop
        if producer is None or loop is None:
            raise RuntimeError("the producer is not started (or stopped)")
        future: asyncio.Future[Stored] = loop.create_future()
        reports = self._reports

        def on_delivery(error: KafkaError | None, message: Message) -> None:
            # Without an error, librdkafka always knows where the record was stored.
            reports.append(_Report(future, error, message.partition() or 0, message.offset() or 0))

        options: dict[str, Any] = {"key": key, "on_delivery": on_delivery}
        if partition is not None:
            options["partition"] = partition
        if headers:
            options["headers"] = list(headers)
        while True:
            try:
                producer.produce(topic, value, **options)
                return future
            except BufferError:  # librdkafka's queue is full: the poll thread drains it
                await asyncio.sleep(_QUEUE_FULL_WAIT_S)
            except KafkaException as exc:
                raise SendFailed(exc.args[0]) from exc

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Wait (at most `timeout_s`) for the queued records to be stored, then stop polling."""
        producer, poller = self._producer, self._poller
        self._producer = None
        if producer is None or poller is None:
            return
        left = await asyncio.to_thread(producer.flush, timeout_s)
        self._settle()  # reports flush() served on its thread
        if left:
            log.warning("%d records were still not stored when the producer stopped", left)
        self._stopping.set()
        await asyncio.to_thread(poller.join)
        self._settle()

    def _poll_until_stopped(self, producer: Producer, loop: asyncio.AbstractEventLoop) -> None:
        while not self._stopping.is_set():
            try:
                served = producer.poll(_POLL_S)
            except Exception:  # a failing callback must not end delivery reports for all
                log.exception("polling the producer failed")
                continue
            if served and self._reports:
                try:
                    loop.call_soon_threadsafe(self._settle)
                except RuntimeError:  # the event loop is closed: nobody waits any more
                    return

    def _settle(self) -> None:
        reports = self._reports
        while reports:
            report = reports.popleft()
            if report.future.done():  # cancelled by its waiter
                continue
            if report.error is None:
                report.future.set_result(Stored(report.partition, report.offset))
            else:
                report.future.set_exception(SendFailed(report.error))
