"""`orderflow bench`'s report: rounds, medians, the CPU table and the JSON (bench_report.py)."""

import json
from dataclasses import replace

from orderflow.bench import CLIENT, TOTAL, BenchPlan, RoundResult, WaitMode
from orderflow.bench_report import BenchReport, as_dict, median_cpu, medians, text_lines
from orderflow.cpu import CpuShare


def a_round(orders_per_s: float, e2e_p50_ms: float, kafka_ms: float) -> RoundResult:
    cpu = {
        "kafka": CpuShare(kafka_ms, 0.5),
        "worker-1": CpuShare(4.0, 0.25),
        CLIENT: CpuShare(1.0, 0.1),
        TOTAL: CpuShare(kafka_ms + 4.0, 0.75),
    }
    return RoundResult(
        orders=100,
        seconds=2.0,
        orders_per_s=orders_per_s,
        accept_p50_ms=5.0,
        accept_p99_ms=20.0,
        e2e_p50_ms=e2e_p50_ms,
        e2e_p95_ms=400.0,
        e2e_p99_ms=500.0,
        statuses={"COMPLETED": 99, "OUT_OF_STOCK": 1},
        cpu=cpu,
    )


ROUNDS = [a_round(50.0, 300.0, 10.0), a_round(70.0, 200.0, 8.0), a_round(60.0, 250.0, 12.0)]
PLAN = BenchPlan(orders=100, concurrency=8, runs=3, mode=WaitMode(poll_s=0.05))


def test_plan_warms_up_with_at_most_200_orders_and_stocks_every_round() -> None:
    assert BenchPlan(orders=100, concurrency=1, runs=3).warmup_orders == 100
    big = BenchPlan(orders=300, concurrency=1, runs=2)
    assert (big.warmup_orders, big.stock_needed) == (200, 800)


def test_medians_of_each_figure() -> None:
    assert medians(ROUNDS)["orders_per_s"] == 60.0
    assert medians(ROUNDS)["e2e_p50_ms"] == 250.0
    cpu = median_cpu(ROUNDS)
    assert cpu["kafka"] == CpuShare(10.0, 0.5)
    assert cpu[TOTAL] == CpuShare(14.0, 0.75)


def test_text_has_one_line_per_round_a_median_and_a_cpu_table() -> None:
    lines = text_lines(BenchReport(PLAN, "this checkout", ROUNDS))

    assert "poll every 50 ms" in lines[0]
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["round", "1"],
        ["round", "2"],
        ["round", "3"],
    ]
    assert "99 COMPLETED, 1 OUT_OF_STOCK" in lines[1]
    assert lines[4].startswith("median")
    assert "60.0 orders/s" in lines[4]
    table = [line.split()[0] for line in lines[6:]]
    assert table == ["process", "kafka", "worker-1", TOTAL, CLIENT]  # total, then the client


def test_text_without_cpu_or_second_round() -> None:
    plan = BenchPlan(orders=100, concurrency=8, mode=WaitMode(long_poll=True))
    lines = text_lines(BenchReport(plan, "/old (abc123)", [a_round(50.0, 300.0, 10.0)]))
    lines_no_cpu = text_lines(BenchReport(plan, "x", [replace(a_round(1, 1, 1), cpu={})]))

    assert "client: long-poll" in lines[0]
    assert "code: /old (abc123)" in lines[0]
    assert not any(line.startswith("median") for line in lines)
    assert len(lines_no_cpu) == 2


def test_json_has_the_rounds_and_the_medians() -> None:
    data = json.loads(json.dumps(as_dict(BenchReport(PLAN, "this checkout", ROUNDS))))

    assert (data["mode"], data["poll_s"], data["runs"]) == ("poll", 0.05, 3)
    assert len(data["rounds"]) == 3
    assert data["rounds"][0]["cpu"]["kafka"] == {"cpu_ms_per_order": 10.0, "cores": 0.5}
    assert data["median"]["orders_per_s"] == 60.0
    assert data["median"]["cpu"][TOTAL]["cpu_ms_per_order"] == 14.0
