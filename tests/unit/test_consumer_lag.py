"""The consumer lag gauge: the arithmetic, and what a scrape shows."""

from prometheus_client import CollectorRegistry, generate_latest

from stream_processors.lag import ConsumerLag, lag_of


def test_lag_is_end_minus_committed() -> None:
    ends = {("t", 0): 10, ("t", 1): 5, ("t", 2): 7, ("t", 3): 0}
    committed = {("t", 0): 4, ("t", 1): 5, ("t", 2): -1001}  # -1001: nothing committed

    assert lag_of(ends, committed) == {("t", 0): 6, ("t", 1): 0, ("t", 2): 7, ("t", 3): 0}


def test_a_scrape_shows_the_last_snapshot_only() -> None:
    registry = CollectorRegistry()
    gauge = ConsumerLag()
    registry.register(gauge)
    gauge.update({("orders", 0): 3, ("orders", 1): 0})
    gauge.update({("orders", 1): 2})  # partition 0 moved to another worker

    text = generate_latest(registry).decode()

    assert 'orderflow_consumer_lag{partition="1",topic="orders"} 2.0' in text
    assert 'partition="0"' not in text
