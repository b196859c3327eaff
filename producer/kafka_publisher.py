"""EventPublisher on confluent-kafka's Producer (librdkafka) that never blocks the event loop.

librdkafka hands acknowledgements to delivery callbacks, and those only run inside
`Producer.poll()`/`flush()`. A daemon thread therefore polls until close, and each callback
passes its result to the waiting coroutine with `loop.call_soon_threadsafe`. On the event loop
we only call `produce()`, which just enqueues locally. Anything that can wait on the network
(`flush`, `list_topics`) runs in a worker thread.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from orders.contracts.codec import encode, encode_key
from orders.contracts.topics import LIBRDKAFKA_PARTITIONER, Topics
from orders.domain.events import Event
from orders.errors import BrokerUnavailable, PublishError
from orders.settings import Settings
from producer.publisher import Delivered

_log = logging.getLogger(__name__)

OnDelivery = Callable[[KafkaError | None, Message], None]

# Errors meaning "no broker answered (in time)": the client may retry later, so 503 + Retry-After.
_UNAVAILABLE = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TIMED_OUT_QUEUE,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._RESOLVE,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.BROKER_NOT_AVAILABLE,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    }
)

_LINGER_MS = 5  # batch a little without adding noticeable latency to a request
_POLL_INTERVAL_S = 0.1
_QUEUE_FULL_RETRIES = 20
_QUEUE_FULL_BACKOFF_S = 0.05
_ACK_SAFETY_MARGIN_S = 1.0  # librdkafka reports timeouts itself; this only guards against hangs
_READY_TIMEOUT_S = 1.0


def producer_config(settings: Settings) -> dict[str, Any]:
    # librdkafka requires message.timeout.ms > linger.ms, and connection setup >= 1000 ms.
    timeout_ms = max(round(settings.publish_timeout_s * 1000), 20 * _LINGER_MS)
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "client.id": "orderflow-producer",
        # Idempotence: broker-side retries never duplicate or reorder events of one order.
        "enable.idempotence": True,
        "acks": "all",
        "partitioner": LIBRDKAFKA_PARTITIONER,  # the same partition as Faust for a key
        "linger.ms": _LINGER_MS,
        # Alias of delivery.timeout.ms: the whole budget for one event, retries included.
        "message.timeout.ms": timeout_ms,
        "request.timeout.ms": timeout_ms,
        # Fail fast on an unreachable broker instead of librdkafka's 30 s default.
        "socket.connection.setup.timeout.ms": max(timeout_ms, 1000),
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        # librdkafka's own logs go through Python logging (emitted by the poll thread).
        "logger": _log,
    }


def publish_error(err: KafkaError) -> PublishError:
    kind = BrokerUnavailable if err.code() in _UNAVAILABLE else PublishError
    return kind(f"event not acknowledged: {err.name()}: {err.str()}")


def _settle(
    acked: "asyncio.Future[Delivered]", err: KafkaError | None, delivered: Delivered
) -> None:
    if acked.done():  # the safety-net timeout already gave up on it
        return
    if err is None:
        acked.set_result(delivered)
    else:
        acked.set_exception(publish_error(err))


class KafkaPublisher:
    """Publishes to Kafka; `start()` is optional (the first use starts it); `close()` flushes."""

    def __init__(self, settings: Settings) -> None:
        # No I/O here: the Producer (and its threads) exist only from start() on.
        self._settings = settings
        self._order_events_topic = Topics.from_settings(settings).order_events.name
        self._producer: Producer | None = None
        self._poller: threading.Thread | None = None
        self._stop_polling = threading.Event()
        self._closed = False
        self._fatal: KafkaError | None = None

    async def start(self) -> None:
        self._ensure_producer()

    async def publish(self, topic: str, key: str, event: Event) -> Delivered:
        producer = self._ensure_producer()
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[Delivered] = loop.create_future()
        on_delivery = partial(self._on_delivery, loop, acked)
        await self._enqueue(producer, topic, key, encode(event), on_delivery)
        deadline = self._settings.publish_timeout_s + _ACK_SAFETY_MARGIN_S
        try:
            return await asyncio.wait_for(acked, deadline)
        except TimeoutError as e:
            raise BrokerUnavailable(f"no acknowledgement from Kafka within {deadline} s") from e

    async def ready(self) -> bool:
        if self._closed or self._fatal is not None:
            return False
        producer = self._ensure_producer()
        try:
            # All topics, not list_topics(topic=...): asking for one may auto-create it.
            metadata = await asyncio.to_thread(producer.list_topics, timeout=_READY_TIMEOUT_S)
        except KafkaException as e:
            _log.info("Kafka not ready: %s", e)
            return False
        topic = metadata.topics.get(self._order_events_topic)
        return topic is not None and topic.error is None

    def queue_depth(self) -> int:
        """Events handed to librdkafka and not yet acknowledged (nor failed)."""
        producer = self._producer
        return len(producer) if producer is not None else 0

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        producer, poller = self._producer, self._poller
        self._producer = self._poller = None
        if producer is None or poller is None:
            return
        # Queued events time out after publish_timeout_s anyway; waiting longer gains nothing.
        timeout = self._settings.publish_timeout_s + _ACK_SAFETY_MARGIN_S
        left = await asyncio.to_thread(producer.flush, timeout)
        if left:
            _log.warning("%d events were still unacknowledged at shutdown", left)
        self._stop_polling.set()
        await asyncio.to_thread(poller.join)

    def _ensure_producer(self) -> Producer:
        if self._closed:
            raise PublishError("the Kafka publisher is closed")
        if self._producer is None:
            self._producer = Producer(producer_config(self._settings))
            self._poller = threading.Thread(
                target=self._poll_until_stopped,
                args=(self._producer,),
                name="kafka-publisher-poll",
                daemon=True,  # never keeps the process alive, even if close() was skipped
            )
            self._poller.start()
        return self._producer

    async def _enqueue(
        self, producer: Producer, topic: str, key: str, value: bytes, on_delivery: OnDelivery
    ) -> None:
        for _ in range(_QUEUE_FULL_RETRIES):
            try:
                producer.produce(topic, value=value, key=encode_key(key), on_delivery=on_delivery)
                return
            except BufferError:
                # Local queue full: the poll thread is draining it, so wait (not poll) here
                # rather than block the event loop.
                await asyncio.sleep(_QUEUE_FULL_BACKOFF_S)
            except KafkaException as e:
                err = e.args[0] if e.args else None
                if isinstance(err, KafkaError):
                    raise publish_error(err) from e
                raise PublishError(f"event not accepted by the producer: {e}") from e
        raise PublishError("the producer's local queue stayed full")

    def _on_delivery(
        self,
        loop: asyncio.AbstractEventLoop,
        acked: "asyncio.Future[Delivered]",
        err: KafkaError | None,
        msg: Message,
    ) -> None:
        # Runs on the poll thread (or in flush()): only hand the result over to the loop.
        if err is not None and err.fatal():
            self._fatal = err  # the producer is unusable from now on; /readyz reports it
        delivered = Delivered(partition=msg.partition() or 0, offset=msg.offset() or 0)
        try:
            loop.call_soon_threadsafe(_settle, acked, err, delivered)
        except RuntimeError:  # the loop was closed while the event was in flight
            _log.warning("delivery report after the event loop closed: %s", err)

    def _poll_until_stopped(self, producer: Producer) -> None:
        while not self._stop_polling.is_set():
            try:
                producer.poll(_POLL_INTERVAL_S)
            except Exception:  # a failing callback must not stop delivery reports for all
                _log.exception("error while polling the Kafka producer")
