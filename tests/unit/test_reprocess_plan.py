"""The reprocess plan: where each partition restarts and how much is re-read; which stages
read which topic (checked against the Faust app itself)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from orderflow.reprocess.plan import PartitionPlan, PartitionState, Start, parse_start, plan
from orderflow.reprocess.stages import STAGE_TOPICS, readers, topic_read_by
from orders.contracts.topics import Topics
from orders.settings import Settings
from tests.unit.stage_helpers import Wired


def test_parse_start() -> None:
    assert parse_start("earliest") == Start()
    assert parse_start("120") == Start(offset=120)
    assert parse_start("2026-11-21T02:45:00Z") == Start(
        at=datetime(2026, 11, 21, 2, 45, tzinfo=UTC)
    )
    naive = parse_start("2026-11-21T02:45:00")
    assert naive.at == datetime(2026, 11, 21, 2, 45, tzinfo=UTC)
    offset = parse_start("2026-11-21T02:45:00-05:00")
    assert offset.at == datetime(2026, 11, 21, 2, 45, tzinfo=timezone(timedelta(hours=-5)))
    assert offset.timestamp_ms == round(
        datetime(2026, 11, 21, 7, 45, tzinfo=UTC).timestamp() * 1000
    )


@pytest.mark.parametrize("text", ["-1", "yesterday", "12:00", ""])
def test_parse_start_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="not an offset, ISO 8601 time or 'earliest'"):
        parse_start(text)


def test_an_offset_is_clamped_to_the_log_and_never_moves_forward() -> None:
    states = [
        PartitionState(0, committed=100, low=0, end=100),
        PartitionState(1, committed=30, low=0, end=100),
        PartitionState(2, committed=80, low=60, end=80),
        PartitionState(3, committed=None, low=0, end=10),
        PartitionState(4, committed=0, low=0, end=0),
    ]
    assert plan(states, Start(offset=50)) == [
        PartitionPlan(0, 100, 50, 50),
        PartitionPlan(1, 30, None, 0, "start is past the committed offset: nothing to re-read"),
        PartitionPlan(2, 80, 60, 20),  # below what is left on the log: from its start
        PartitionPlan(3, None, None, 0, "no committed offset: read from its start anyway"),
        PartitionPlan(4, 0, None, 0),
    ]
    assert plan([PartitionState(5, None, 0, 0)], Start()) == [PartitionPlan(5, None, None, 0)]


def test_earliest_rewinds_every_partition_to_its_start() -> None:
    states = [PartitionState(1, 40, 5, 40), PartitionState(0, 12, 0, 12)]
    assert plan(states, Start()) == [PartitionPlan(0, 12, 0, 12), PartitionPlan(1, 40, 5, 35)]


def test_a_time_uses_the_first_offset_at_or_after_it() -> None:
    at = Start(at=datetime(2026, 11, 21, tzinfo=UTC))
    states = [
        PartitionState(0, 100, 0, 100, at_time=70),
        PartitionState(1, 100, 0, 100, at_time=None),  # nothing since: nothing to re-read
    ]
    assert plan(states, at) == [PartitionPlan(0, 100, 70, 30), PartitionPlan(1, 100, None, 0)]


def test_every_stage_reads_the_topic_the_worker_app_subscribes_it_to() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", topic_prefix="x")
    topics = Topics.from_settings(settings)
    worker = Wired(settings).worker
    order_log_stages = {*worker.pipeline.loops, "projection", "dispatch"}
    assert set(STAGE_TOPICS) == order_log_stages | {"inventory"}
    for stage in STAGE_TOPICS:
        agent = worker.agents["orders" if stage in order_log_stages else stage]
        assert agent.channel.topics == (topic_read_by(stage, topics).name,)


def test_readers_of_the_order_log_are_its_stages_and_the_dispatcher() -> None:
    topics = Topics.from_settings(Settings())
    assert readers(topics.order_events, topics) == [
        "dispatch", "validation", "reservation", "cancellation-intake", "payment", "fulfilment",
        "projection",
    ]  # fmt: skip
    assert readers(topics.stock, topics) == ["inventory"]
