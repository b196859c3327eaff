"""The workers' Kafka producer: Faust's aiokafka producer with idempotence on.

Faust only turns idempotence on inside transactions. With it, the broker drops a batch that a
retry after a lost acknowledgement (a leader moving to another broker, say) sends again, and
keeps one partition's records in the order they were sent. acks=all comes with it (and is
asked for anyway: `producer_acks=-1` in stream_processors/app.py).
"""

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers.aiokafka import Producer as FaustProducer


class IdempotentProducer(FaustProducer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}


def use_idempotent_producer(app: Any) -> None:
    """Make `app` (a faust.App that has not created its producer yet) use IdempotentProducer."""
    app.transport.Producer = IdempotentProducer
