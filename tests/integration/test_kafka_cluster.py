"""The local three-node cluster: the contract's topics (and extra ones, as the workers' changelogs
are) get three copies and min.insync.replicas 2; a killed node's partitions get new leaders and
show as under-replicated until it is back, and then the ISR is full again."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderflow.infra import ensure_kafka_libs
from orderflow.infra.kafka_cluster import LocalKafkaCluster, replication_for
from orders.contracts.admin import ensure_topics
from orders.contracts.replication import describe_replication
from orders.contracts.topics import Topics, TopicSpec
from orders.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafkaCluster]:
    with LocalKafkaCluster(
        ensure_kafka_libs(REPO_ROOT), 3, data_dir=tmp_path_factory.mktemp("cluster"),
        log_dir=tmp_path_factory.mktemp("cluster-logs"),
    ) as running:  # fmt: skip
        yield running


def test_topics_get_three_copies_and_need_two(
    cluster: LocalKafkaCluster, unique_prefix: str
) -> None:
    replication, _ = replication_for(3)
    settings = Settings(
        kafka_bootstrap_servers=cluster.bootstrap_servers,
        topic_prefix=unique_prefix,
        replication_factor=replication,
    )
    changelog = TopicSpec(
        f"{unique_prefix}-g-stock-changelog", 6, "sku", {"cleanup.policy": "compact"}
    )
    created = ensure_topics(settings, extra=[changelog])
    specs = [*Topics.from_settings(settings).all(), changelog]
    assert sorted(created) == sorted(spec.name for spec in specs)

    # Each broker learns of new topics from the controller in its own time.
    deadline = time.monotonic() + 60
    while len(described := describe_replication(cluster.bootstrap_servers, specs)) < len(specs):
        assert time.monotonic() < deadline, [t.name for t in described]
        time.sleep(0.5)

    assert [t.name for t in described] == [spec.name for spec in specs]
    for topic in described:
        assert (topic.replication_factor, topic.min_insync_replicas) == (3, 2), topic
        assert (topic.smallest_isr, topic.under_replicated, topic.offline) == (3, 0, 0), topic
        assert set(topic.leaders) <= {1, 2, 3}
        assert sum(topic.leaders.values()) == topic.partitions
    assert "replicas=3\tmin.insync.replicas=2\tisr>=3\tunder-replicated=0" in described[0].line()


def test_a_killed_node_loses_its_leaders_until_it_is_back(
    cluster: LocalKafkaCluster, unique_prefix: str
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=cluster.bootstrap_servers, topic_prefix=unique_prefix,
        replication_factor=3,
    )  # fmt: skip
    ensure_topics(settings)
    cluster.wait_fully_replicated(60)
    victim = cluster.node(2)

    victim.kill()
    try:
        states = cluster.wait_until(
            lambda states: all(s.leader not in (-1, 2) and 2 not in s.isr for s in states), 60
        )
    finally:
        victim.start()

    ours = [s for s in states if s.topic.startswith(unique_prefix)]
    assert ours
    assert all(s.under_replicated and len(s.isr) == 2 for s in ours)
    after = cluster.wait_fully_replicated(90)
    assert all(len(s.isr) == 3 for s in after if s.topic.startswith(unique_prefix))
