"""The workers create their tables' changelog topics before Faust starts (see run_worker)."""

from orderflow.stock import stock_changelog_topic
from orders.settings import Settings
from stream_processors.app import create_app
from stream_processors.worker import changelog_topics


def test_changelog_topics_match_what_faust_declares() -> None:
    settings = Settings(worker_group="g", order_events_partitions=4, stock_partitions=3)
    specs = {spec.name: spec for spec in changelog_topics(create_app(settings))}

    assert {name: spec.partitions for name, spec in specs.items()} == {
        "g-stock-changelog": 3,  # the stock table is partitioned like the stock topic
        "g-reservations-changelog": 4,  # the sagas like the order event log
    }
    assert all(spec.config == {"cleanup.policy": "compact"} for spec in specs.values())
    assert stock_changelog_topic(settings) in specs  # what operators' stock reader reads
