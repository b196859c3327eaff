"""GET /dashboard.json's body from given figures (status_api/dashboard_snapshot.py)."""

from datetime import UTC, datetime

from orders.contracts.cluster import Broker, ClusterView, Replicas
from orders.contracts.group import GroupMember, GroupView
from orders.domain.status import OrderStatus
from orders.status_store.model import StalledOrder
from orders.status_store.queries import BUCKET_S
from status_api.dashboard_snapshot import (
    Pipeline,
    StoreFigures,
    rate,
    snapshot,
    stage_series,
)
from status_api.pipeline_sampler import KafkaSample, PipelineHistory

S = OrderStatus
NOW = 1_800_000_005.0  # 5 s into a bucket
LAST = 1_800_000_000  # that bucket's start
PIPELINE = Pipeline("g", ("t.orders", "t.stock"), "t.dead-letters", deadline_s=300, window_s=60)


def figures() -> StoreFigures:
    return StoreFigures(moves={}, counts={s: 0 for s in OrderStatus}, overdue=[], overdue_limit=5)


def test_stage_series_counts_each_move_for_its_stage_in_its_bucket() -> None:
    moves = {
        LAST: {(None, S.PENDING): 3, (S.PENDING, S.VALIDATED): 2},
        LAST - BUCKET_S: {(S.PENDING, S.REJECTED): 1, (S.VALIDATED, S.REJECTED): 4},
        LAST - 100 * BUCKET_S: {(None, S.PENDING): 9},  # before the window
    }

    series = stage_series(moves, NOW, window_s=60)

    assert series["placed"] == [0, 0, 0, 0, 0, 3]
    assert series["validation"] == [0, 0, 0, 0, 1, 2]
    assert series["reservation"] == [0, 0, 0, 0, 4, 0]
    assert series["payment"] == [0] * 6


def test_rate_is_the_last_minute_of_complete_buckets() -> None:
    series = [100] + [6] * 6 + [50]  # the oldest is over a minute old, the last one still fills

    assert rate(series) == (36, 0.6)


def sample(at: float, lag_on_p0: int, members: tuple[GroupMember, ...] = ()) -> KafkaSample:
    return KafkaSample(
        at=at,
        committed={("t.orders", 0): 10 - lag_on_p0, ("t.orders", 1): -1001, ("t.stock", 0): 4},
        ends={("t.orders", 0): 10, ("t.orders", 1): 2, ("t.stock", 0): 4},
        dead_letters=7,
        group=GroupView("Stable", members),
    )


def test_lag_per_partition_with_owners_totals_and_history() -> None:
    history = PipelineHistory(keep_s=600)
    one = GroupMember("m-1", "orderflow-worker-1", "127.0.0.1",
                      (("t.orders", 0), ("t.stock", 0), ("g-stock-changelog", 0)))  # fmt: skip
    two = GroupMember("m-2", "orderflow-worker-2", "127.0.0.1", (("t.orders", 1),))
    history.record(sample(NOW - 2, 5, (one, two)))
    history.record(sample(NOW, 3, (one, two)))

    kafka = snapshot(NOW, PIPELINE, history, figures())["kafka"]

    assert (kafka["available"], kafka["error"], kafka["state"]) == (True, None, "Stable")
    assert kafka["lag"]["total"] == 3 + 2
    assert kafka["lag"]["by_topic"] == {"t.orders": 5, "t.stock": 0}
    assert kafka["lag"]["series"] == [7, 5]
    first = kafka["lag"]["partitions"][0]
    assert first == {"topic": "t.orders", "partition": 0, "committed": 7, "end": 10, "lag": 3,
                     "owners": ["orderflow-worker-1"], "series": [5, 3]}  # fmt: skip
    assert kafka["lag"]["partitions"][1]["committed"] is None  # nothing committed: all of it
    assert kafka["dead_letters"] == {"topic": "t.dead-letters", "depth": 7, "series": [7, 7]}
    assert kafka["workers"][0]["assigned"] == [
        {"topic": "t.orders", "partitions": [0]},
        {"topic": "t.stock", "partitions": [0]},
    ]
    assert kafka["workers"][0]["changelog_partitions"] == 1
    assert len(kafka["series_at"]) == 2


def test_kafka_down_keeps_the_last_figures_and_says_why() -> None:
    history = PipelineHistory()
    never = snapshot(NOW, PIPELINE, history, figures())["kafka"]
    history.record(sample(NOW - 10, 1))
    history.failed("Kafka did not answer")

    kafka = snapshot(NOW, PIPELINE, history, figures())["kafka"]

    assert (never["available"], never["lag"]["total"], never["workers"]) == (False, None, [])
    assert (kafka["available"], kafka["error"]) == (False, "Kafka did not answer")
    assert kafka["lag"]["total"] == 3  # from the last sample, whose time is shown
    assert kafka["sampled_at"] == datetime.fromtimestamp(NOW - 10, UTC).isoformat()


def test_stages_waiting_and_overdue_from_the_store() -> None:
    counts = {s: 0 for s in OrderStatus} | {S.PENDING: 2, S.RESERVED: 1, S.COMPLETED: 4}
    old = datetime.fromtimestamp(NOW - 400, UTC)
    overdue = [StalledOrder(order_id=f"01JD3Q7ZK5V9W8X2Y4N6M0P{n:03d}", status=S.RESERVED,
                            since=old) for n in range(5)]  # fmt: skip
    store = StoreFigures({LAST: {(S.PENDING, S.VALIDATED): 2}}, counts, overdue, overdue_limit=5)

    body = snapshot(NOW, PIPELINE, PipelineHistory(), store)

    stages = {item["stage"]: item for item in body["stages"]["items"]}
    assert stages["validation"]["waiting"] == 2
    assert stages["payment"]["waiting"] == 1
    assert stages["placed"]["waiting"] is None
    assert stages["validation"]["series"][-1] == 2
    assert body["stages"]["from"] == datetime.fromtimestamp(LAST - 50, UTC).isoformat()
    assert body["overdue"]["count"] == 5
    assert body["overdue"]["more"]
    assert body["overdue"]["oldest"][0]["ref"] == "0P000"  # the id's last five characters
    assert body["overdue"]["oldest"][0]["waiting_s"] == 400


def test_store_down_leaves_its_panels_empty_and_says_why() -> None:
    body = snapshot(NOW, PIPELINE, PipelineHistory(), None, "status store unavailable")

    assert body["store"] == {"available": False, "error": "status store unavailable"}
    assert (body["stages"], body["overdue"]) == (None, None)
    assert body["generated_at"] == datetime.fromtimestamp(NOW, UTC).isoformat()


def test_cluster_brokers_leaders_isr_and_under_replicated_partitions() -> None:
    cluster = ClusterView(
        (Broker(1, "127.0.0.1", 9092), Broker(3, "127.0.0.1", 9094)),
        (
            Replicas("t.orders", 0, 1, (1, 2, 3), (1, 3)),
            Replicas("t.orders", 1, 3, (3, 1, 2), (3, 1, 2)),
            Replicas("t.orders", 2, -1, (2,), ()),
        ),
    )
    history = PipelineHistory(keep_s=600)
    history.record(sample(NOW, 0))
    history.cluster = cluster

    body = snapshot(NOW, PIPELINE, history, figures())["kafka"]["cluster"]

    assert body["brokers"] == [
        {"id": 1, "address": "127.0.0.1:9092", "leads": 1},
        {"id": 3, "address": "127.0.0.1:9094", "leads": 1},
    ]
    assert [(p["partition"], p["leader"], len(p["isr"])) for p in body["partitions"]] == [
        (0, 1, 2), (1, 3, 3), (2, None, 0),
    ]  # fmt: skip
    assert [p["under_replicated"] for p in body["partitions"]] == [True, False, True]
    assert (body["under_replicated"], body["offline"]) == (2, 1)


def test_no_cluster_metadata_is_null() -> None:
    history = PipelineHistory(keep_s=600)
    history.record(sample(NOW, 0))

    assert snapshot(NOW, PIPELINE, history, figures())["kafka"]["cluster"] is None
