"""Local Kafka and Redis servers run as child processes, for tests and local development."""

from orderflow.infra.kafka import LocalKafka, ensure_kafka_libs
from orderflow.infra.ports import free_port
from orderflow.infra.process import InfraError, ServerStartError
from orderflow.infra.redis import LocalRedis

__all__ = [
    "InfraError",
    "LocalKafka",
    "LocalRedis",
    "ServerStartError",
    "ensure_kafka_libs",
    "free_port",
]
