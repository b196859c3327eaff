"""What `orderflow bench` prints and writes: one line per round, the medians over rounds and a
table of CPU per process (orderflow/bench.py measures them)."""

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from orderflow.bench import CLIENT, TOTAL, BenchPlan, RoundResult
from orderflow.cpu import CpuShare

FIGURES = (
    "orders_per_s",
    "accept_p50_ms",
    "accept_p99_ms",
    "e2e_p50_ms",
    "e2e_p95_ms",
    "e2e_p99_ms",
)


@dataclass
class BenchReport:
    plan: BenchPlan
    code: str  # whose services ran: "this checkout", or --root's path (and commit)
    rounds: list[RoundResult]


def medians(rounds: list[RoundResult]) -> dict[str, float]:
    return {f: round(statistics.median(getattr(r, f) for r in rounds), 1) for f in FIGURES}


def median_cpu(rounds: list[RoundResult]) -> dict[str, CpuShare]:
    """Each process's median share over the rounds it was sampled in (first-seen order)."""
    names = dict.fromkeys(name for r in rounds for name in r.cpu)
    result = {}
    for name in names:
        shares = [r.cpu[name] for r in rounds if name in r.cpu]
        result[name] = CpuShare(
            round(statistics.median(s.cpu_ms_per_order for s in shares), 2),
            round(statistics.median(s.cores for s in shares), 3),
        )
    return result


def as_dict(report: BenchReport) -> dict[str, object]:
    plan = report.plan
    cpu = {name: asdict(share) for name, share in median_cpu(report.rounds).items()}
    return {
        "mode": "long-poll" if plan.mode.long_poll else "poll",
        "poll_s": None if plan.mode.long_poll else plan.mode.poll_s,
        "orders_per_round": plan.orders,
        "concurrency": plan.concurrency,
        "runs": plan.runs,
        "warmup_orders": plan.warmup_orders,
        "code": report.code,
        "rounds": [asdict(r) for r in report.rounds],
        "median": {**medians(report.rounds), "cpu": cpu},
    }


def text_lines(report: BenchReport) -> list[str]:
    plan, rounds = report.plan, report.rounds
    lines = [
        f"{plan.runs} round(s) of {plan.orders} orders, concurrency {plan.concurrency}, "
        f"client: {plan.mode.describe()}, after a warm-up of {plan.warmup_orders} orders; "
        f"code: {report.code}"
    ]
    for i, r in enumerate(rounds, 1):
        done = ", ".join(f"{n} {s}" for s, n in sorted(r.statuses.items()))
        figures = _figures(asdict(r), r.cpu.get(TOTAL))
        lines.append(f"round {i:<3} {figures} | {r.seconds:.2f} s, {done}")
    if len(rounds) > 1:
        lines.append(f"{'median':<9} {_figures(medians(rounds), median_cpu(rounds).get(TOTAL))}")
    cpu = median_cpu(rounds)
    if cpu:
        lines += cpu_table(cpu, len(rounds))
    return lines


def _figures(values: Mapping[str, float], cpu_total: CpuShare | None) -> str:
    v = values
    text = (
        f"{v['orders_per_s']:7.1f} orders/s"
        f" | accept p50 {v['accept_p50_ms']:.1f} p99 {v['accept_p99_ms']:.1f} ms"
        f" | e2e p50 {v['e2e_p50_ms']:.0f} p95 {v['e2e_p95_ms']:.0f}"
        f" p99 {v['e2e_p99_ms']:.0f} ms"
    )
    if cpu_total is not None:
        text += f" | CPU {cpu_total.cpu_ms_per_order:.1f} ms/order"
    return text


def cpu_table(cpu: Mapping[str, CpuShare], rounds: int) -> list[str]:
    """Stack processes, their total, then the benchmark client (not in the total)."""
    which = "one round" if rounds == 1 else f"median of {rounds} rounds"
    lines = [
        f"CPU per process ({which}): CPU ms per order, and average cores busy during the round",
        f"  {'process':<16}{'ms/order':>10}{'cores':>8}",
    ]
    order = [n for n in cpu if n not in (TOTAL, CLIENT)] + [TOTAL, CLIENT]
    for name in order:
        if name in cpu:
            note = "   (the benchmark itself; not in the total)" if name == CLIENT else ""
            share = cpu[name]
            lines.append(f"  {name:<16}{share.cpu_ms_per_order:>10.2f}{share.cores:>8.2f}{note}")
    return lines
