"""GET /dashboard.json's body, assembled from what the status table and the pipeline sampler
know (pure: no I/O, the caller passes every input).

- stages: status changes per stage per bucket of the status table's counters
  (orders/status_store/queries.py BUCKET_S), and the orders waiting for each stage;
- kafka: the workers' group, lag per partition (committed offset vs end offset), dead-letter
  depth and their history (status_api/pipeline_sampler.py), and the cluster: brokers, each
  partition's leader and in-sync replicas, under-replicated and offline partitions;
- overdue: unfinished orders older than the order deadline, oldest first.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orders.contracts.cluster import ClusterView
from orders.contracts.group import GroupMember
from orders.contracts.offsets import Partition
from orders.domain.ids import short_ref
from orders.domain.stages import Stage, orders_by_stage, stage_of
from orders.domain.status import OrderStatus
from orders.status_store.model import StalledOrder
from orders.status_store.queries import BUCKET_S, MoveCounts, bucket_start
from status_api.pipeline_sampler import PipelineHistory

RATE_WINDOW_S = 60  # the current rate: the complete buckets of the last minute
OLDEST_SHOWN = 20


@dataclass(frozen=True)
class StoreFigures:
    """What the status table answered (all read at `now`)."""

    moves: MoveCounts
    counts: Mapping[OrderStatus, int]
    overdue: Sequence[StalledOrder]  # oldest first, at most `overdue_limit`
    overdue_limit: int


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def stage_series(moves: MoveCounts, now: float, window_s: float) -> dict[Stage, list[int]]:
    """Changes per stage in each bucket of the window, oldest first (the last one is the
    bucket `now` is in, still filling)."""
    last = bucket_start(now)
    starts = range(last - (int(window_s) // BUCKET_S - 1) * BUCKET_S, last + 1, BUCKET_S)
    series = {stage: [0] * len(starts) for stage in Stage}
    for i, start in enumerate(starts):
        for move, count in moves.get(start, {}).items():
            series[stage_of(move)][i] += count
    return series


def rate(series: Sequence[int]) -> tuple[int, float]:
    """Changes in the complete buckets of the last minute, and per second."""
    complete = series[:-1][-(RATE_WINDOW_S // BUCKET_S) :]
    return sum(complete), round(sum(complete) / RATE_WINDOW_S, 3)


def stages_json(store: StoreFigures, now: float, window_s: float) -> dict[str, Any]:
    series = stage_series(store.moves, now, window_s)
    waiting = orders_by_stage(store.counts)
    items = []
    for stage, counts in series.items():
        last_minute, per_second = rate(counts)
        items.append(
            {"stage": stage.value, "waiting": waiting.get(stage.value), "per_second": per_second,
             "last_minute": last_minute, "series": counts}
        )  # fmt: skip
    first = bucket_start(now) - (len(next(iter(series.values()))) - 1) * BUCKET_S
    return {"bucket_s": BUCKET_S, "from": _iso(first), "items": items}


def overdue_json(store: StoreFigures, now: float, deadline_s: float) -> dict[str, Any]:
    oldest = [
        {"order_id": o.order_id, "ref": short_ref(o.order_id), "status": o.status.value,
         "since": o.since.isoformat(), "waiting_s": round(now - o.since.timestamp(), 1)}
        for o in store.overdue[:OLDEST_SHOWN]
    ]  # fmt: skip
    more = len(store.overdue) >= store.overdue_limit
    return {"deadline_s": deadline_s, "count": len(store.overdue), "more": more, "oldest": oldest}


def _workers(members: Sequence[GroupMember], consumed: Sequence[str]) -> list[dict[str, Any]]:
    workers = []
    for m in members:
        by_topic = {t: [p for topic, p in m.partitions if topic == t] for t in consumed}
        others = sum(1 for topic, _ in m.partitions if topic not in consumed)
        workers.append(
            {"client_id": m.client_id, "member_id": m.member_id, "host": m.host,
             "assigned": [{"topic": t, "partitions": ps} for t, ps in by_topic.items() if ps],
             "changelog_partitions": others}
        )  # fmt: skip
    return workers


def _owners(members: Sequence[GroupMember]) -> dict[Partition, list[str]]:
    owners: dict[Partition, list[str]] = {}
    for m in members:
        for tp in m.partitions:
            owners.setdefault(tp, []).append(m.client_id)
    return owners


def lag_json(history: PipelineHistory) -> dict[str, Any]:
    latest, points = history.latest, history.points
    if latest is None:
        return {"total": None, "by_topic": {}, "partitions": [], "series": []}
    lag, owners = latest.lag, _owners(latest.group.members)
    partitions = [
        {"topic": t, "partition": p, "committed": c if (c := latest.committed.get((t, p), -1)) >= 0
         else None, "end": latest.ends[(t, p)], "lag": lag[(t, p)],
         "owners": owners.get((t, p), []), "series": [pt.lag.get((t, p), 0) for pt in points]}
        for t, p in sorted(latest.ends)
    ]  # fmt: skip
    by_topic: dict[str, int] = {}
    for (topic, _), n in lag.items():
        by_topic[topic] = by_topic.get(topic, 0) + n
    series = [sum(pt.lag.values()) for pt in points]
    return {"total": sum(lag.values()), "by_topic": by_topic, "partitions": partitions,
            "series": series}  # fmt: skip


def cluster_json(cluster: ClusterView | None) -> dict[str, Any] | None:
    """The brokers (with how many partitions each leads), each partition's leader and ISR
    size, and the under-replicated and offline ones; None: the metadata did not come."""
    if cluster is None:
        return None
    leads: dict[int, int] = {}
    for p in cluster.partitions:
        leads[p.leader] = leads.get(p.leader, 0) + 1
    brokers = [
        {"id": b.node_id, "address": f"{b.host}:{b.port}", "leads": leads.get(b.node_id, 0)}
        for b in cluster.brokers
    ]
    partitions = [
        {"topic": p.topic, "partition": p.partition,
         "leader": None if p.leader < 0 else p.leader, "replicas": list(p.replicas),
         "isr": list(p.isr), "under_replicated": p.under_replicated}
        for p in cluster.partitions
    ]  # fmt: skip
    return {
        "brokers": brokers,
        "partitions": partitions,
        "under_replicated": len(cluster.under_replicated),
        "offline": len(cluster.offline),
    }


def kafka_json(
    history: PipelineHistory, group: str, consumed: Sequence[str], dead_letters: str
) -> dict[str, Any]:
    latest, points = history.latest, history.points
    members = latest.group.members if latest else ()
    return {
        "available": history.error is None,
        "error": history.error,
        "sampled_at": _iso(latest.at) if latest else None,
        "group": group,
        "state": latest.group.state if latest else None,
        "series_at": [_iso(pt.at) for pt in points],
        "lag": lag_json(history),
        "dead_letters": {
            "topic": dead_letters,
            "depth": latest.dead_letters if latest else None,
            "series": [pt.dead_letters for pt in points],
        },
        "workers": _workers(members, consumed),
        "cluster": cluster_json(history.cluster),
    }


@dataclass(frozen=True)
class Pipeline:
    """What the dashboard shows of the pipeline's set-up."""

    group: str  # the workers' consumer group
    consumed: tuple[str, ...]  # the topics it reads (whose lag is shown)
    dead_letters: str
    deadline_s: float  # an unfinished order older than this is overdue
    window_s: float = 600.0  # how far back the plots reach


def snapshot(
    now: float,
    pipeline: Pipeline,
    history: PipelineHistory,
    store: StoreFigures | None,
    store_error: str | None = None,
) -> dict[str, Any]:
    """The whole body; `store` None: the status table did not answer (`store_error` why)."""
    kafka = kafka_json(history, pipeline.group, pipeline.consumed, pipeline.dead_letters)
    return {
        "generated_at": _iso(now),
        "window_s": pipeline.window_s,
        "store": {"available": store is not None, "error": store_error},
        "stages": stages_json(store, now, pipeline.window_s) if store else None,
        "kafka": kafka,
        "overdue": overdue_json(store, now, pipeline.deadline_s) if store else None,
    }
