"""The redrive's Kafka side: publishes raw records with the project's producer settings
(acks=all, idempotent, murmur2 partitioner: a key lands where Faust would put it)."""

from collections.abc import Callable, Sequence

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from orderflow.dead_letters.groups import RecordId
from orderflow.dead_letters.redrive import OutRecord
from orders.errors import PublishError
from orders.settings import Settings
from producer.kafka_publisher import producer_config


class KafkaRecordSink:
    """Blocking, for the CLI: `publish` returns once every record was acknowledged or failed."""

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self._config = {**producer_config(settings), "client.id": "orderflow-redrive"}
        self._timeout = timeout

    def publish(self, records: Sequence[OutRecord]) -> list[RecordId | Exception]:
        if not records:
            return []
        producer = Producer(self._config)
        results: list[RecordId | Exception] = [
            PublishError("no acknowledgement from Kafka") for _ in records
        ]
        for index, record in enumerate(records):
            headers: list[tuple[str, str | bytes | None]] = list(record.headers)
            try:
                producer.produce(
                    record.topic, key=record.key, value=record.value, headers=headers,
                    on_delivery=_reporter(results, index),
                )  # fmt: skip
            except (BufferError, KafkaException) as exc:
                results[index] = PublishError(f"not accepted by the producer: {exc}")
            producer.poll(0)
        producer.flush(self._timeout)  # the delivery reports fill `results`
        return results


def _reporter(
    results: list[RecordId | Exception], index: int
) -> Callable[[KafkaError | None, Message], None]:
    def report(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            results[index] = PublishError(f"{err.name()}: {err.str()}")
            return
        topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
        if topic is None or partition is None or offset is None:
            results[index] = PublishError("acknowledged without a position")
            return
        results[index] = RecordId(topic, partition, offset)

    return report
