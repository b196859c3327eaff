"""Settings from ORDERFLOW_* environment variables, and the topics derived from them."""

import os
from decimal import Decimal

import pytest
from pydantic import ValidationError

from orderflow.infra.kafka_cluster import replication_for
from orders.contracts.topics import Topics, replication_config
from orders.domain.validation import Limits
from orders.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDERFLOW_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert settings.topic_prefix == "orderflow"
    assert settings.order_events_partitions == 6
    assert settings.max_order_total == Decimal("10000")
    assert settings.limits == Limits()


def test_reads_orderflow_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("ORDERFLOW_TOPIC_PREFIX", "test.run-1")
    monkeypatch.setenv("ORDERFLOW_ORDER_EVENTS_PARTITIONS", "12")
    monkeypatch.setenv("ORDERFLOW_STOCK_PARTITIONS", "3")
    monkeypatch.setenv("ORDERFLOW_PUBLISH_TIMEOUT_S", "0.25")
    monkeypatch.setenv("ORDERFLOW_MAX_LINES", "7")
    monkeypatch.setenv("ORDERFLOW_MAX_LINE_QUANTITY", "9")
    monkeypatch.setenv("ORDERFLOW_MAX_ORDER_TOTAL", "1234.10")
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.topic_prefix == "test.run-1"
    assert settings.order_events_partitions == 12
    assert settings.stock_partitions == 3
    assert settings.publish_timeout_s == 0.25
    assert isinstance(settings.max_order_total, Decimal)
    assert settings.max_order_total == Decimal("1234.10")
    assert str(settings.max_order_total) == "1234.10"
    assert settings.limits == Limits(
        max_lines=7, max_line_quantity=9, max_order_total=Decimal("1234.10")
    )


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPIC_PREFIX", "nope")
    monkeypatch.setenv("ORDERFLOW_SOMETHING_UNKNOWN", "fine")
    assert Settings().topic_prefix == "orderflow"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERFLOW_ORDER_EVENTS_PARTITIONS", "0"),
        ("ORDERFLOW_STOCK_PARTITIONS", "-1"),
        ("ORDERFLOW_ORDER_EVENTS_PARTITIONS", "many"),
        ("ORDERFLOW_TOPIC_PREFIX", "has space"),
        ("ORDERFLOW_MAX_ORDER_TOTAL", "0"),
        ("ORDERFLOW_MAX_ORDER_TOTAL", "ten"),
        ("ORDERFLOW_PRODUCER_PORT", "70000"),
        ("ORDERFLOW_PUBLISH_TIMEOUT_S", "0"),
    ],
)
def test_invalid_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    field = name.removeprefix("ORDERFLOW_").lower()
    assert field in str(info.value)


def test_topics_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_TOPIC_PREFIX", "acme")
    monkeypatch.setenv("ORDERFLOW_ORDER_EVENTS_PARTITIONS", "12")
    monkeypatch.setenv("ORDERFLOW_STOCK_PARTITIONS", "4")
    topics = Topics.from_settings(Settings())
    assert topics.order_events.name == "acme.order-events"
    assert topics.order_events.partitions == 12
    assert topics.order_events.key == "order_id"
    assert topics.stock.name == "acme.stock"
    assert topics.stock.partitions == 4
    assert topics.stock.key == "sku"
    assert topics.dead_letters.name == "acme.dead-letters"
    assert topics.dead_letters.partitions == 6
    assert topics.all() == (topics.order_events, topics.stock, topics.dead_letters)


def test_topics_keep_events_forever() -> None:
    for spec in Topics.from_settings(Settings()).all():
        assert spec.config["retention.ms"] == "-1"
        assert spec.config["retention.bytes"] == "-1"
        assert spec.config["cleanup.policy"] == "delete"


def test_idempotency_lease_must_outlast_a_publish() -> None:
    assert Settings(publish_timeout_s=8, idempotency_lease_s=9.5).idempotency_lease_s == 9.5
    with pytest.raises(ValidationError, match="idempotency_lease_s must exceed"):
        Settings(publish_timeout_s=9)  # default lease 10 s: not more than 9 s + 1 s


def test_idempotency_keys_must_outlive_their_lease() -> None:
    with pytest.raises(ValidationError, match="idempotency_ttl_s must exceed"):
        Settings(idempotency_ttl_s=5)


@pytest.mark.parametrize(
    ("replication", "given", "min_isr"),
    [(1, 0, 1), (2, 0, 1), (3, 0, 2), (5, 0, 4), (3, 3, 3), (3, 1, 1)],
)
def test_min_insync_replicas_follows_the_replication_factor_unless_given(
    replication: int, given: int, min_isr: int
) -> None:
    settings = Settings(replication_factor=replication, min_insync_replicas=given)
    assert settings.min_isr == min_isr
    assert replication_config(settings) == {"min.insync.replicas": str(min_isr)}


def test_min_insync_replicas_cannot_exceed_the_copies() -> None:
    with pytest.raises(ValidationError, match="min_insync_replicas"):
        Settings(replication_factor=2, min_insync_replicas=3)


@pytest.mark.parametrize(
    ("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (5, (3, 2))]
)
def test_a_local_cluster_replicates_over_at_most_three_brokers(
    brokers: int, expected: tuple[int, int]
) -> None:
    assert replication_for(brokers) == expected
