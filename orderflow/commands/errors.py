"""What the command groups share: Kafka trouble as a one-line error, not a traceback."""

from collections.abc import Iterator
from contextlib import contextmanager

import click
from confluent_kafka import KafkaException


@contextmanager
def kafka_errors() -> Iterator[None]:
    try:
        yield
    except (KafkaException, TimeoutError, LookupError) as exc:
        raise click.ClickException(f"Kafka: {exc}") from exc
