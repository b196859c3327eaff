"""CPU per process from /proc/<pid>/stat (orderflow/cpu.py)."""

from pathlib import Path

import pytest

from orderflow.cpu import (
    CpuShare,
    Sampler,
    Snapshot,
    parse_pid,
    read_ticks,
    stat_ticks,
    total,
    usage,
)

# A real line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
# cmajflt utime stime cutime cstime ...
TAIL = "S 1 1234 1234 0 -1 4194560 5000 0 12 0 {utime} {stime} 7 8 20 0 30 0 100 2000000 500"


def stat_line(comm: str, utime: int, stime: int, pid: int = 1234) -> str:
    return f"{pid} ({comm}) {TAIL.format(utime=utime, stime=stime)}\n"


@pytest.mark.parametrize(
    "comm",
    ["java", "redis-server", "python3.11", "a b c", "x) S 9 9 9 (y", "((", "))", ") 1 2 3"],
)
def test_utime_plus_stime_whatever_the_command_name(comm: str) -> None:
    assert stat_ticks(stat_line(comm, utime=1500, stime=230)) == 1730


def test_cutime_and_cstime_are_not_counted() -> None:
    # Children's time (fields 16 and 17, here 7 and 8) is not the process's own.
    assert stat_ticks(stat_line("worker", utime=0, stime=0)) == 0


@pytest.mark.parametrize("line", ["", "1234 (java", "1234 (java) S 1 2 3", "garbage"])
def test_not_a_stat_line(line: str) -> None:
    with pytest.raises(ValueError, match="stat line"):
        stat_ticks(line)


def test_read_ticks_from_a_proc_tree(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "stat").write_text(stat_line("my (odd) name", 10, 5, pid=42))

    assert read_ticks(42, proc=tmp_path) == 15
    assert read_ticks(43, proc=tmp_path) is None  # gone


def test_read_ticks_of_this_process() -> None:
    import os

    assert read_ticks(os.getpid()) is not None


def test_usage_per_order_and_cores() -> None:
    before = Snapshot(at=10.0, ticks={"kafka": 1000, "worker-1": 500, "gone": 7})
    after = Snapshot(at=12.0, ticks={"kafka": 1100, "worker-1": 550, "new": 3})

    shares = usage(before, after, orders=200, hz=100)

    # kafka: 100 ticks = 1 s of CPU over 200 orders and 2 s of wall time
    assert shares == {
        "kafka": CpuShare(cpu_ms_per_order=5.0, cores=0.5),
        "worker-1": CpuShare(cpu_ms_per_order=2.5, cores=0.25),
    }


def test_total_leaves_out_what_it_is_told() -> None:
    shares = {"a": CpuShare(5.0, 0.5), "b": CpuShare(2.5, 0.25), "client": CpuShare(1.0, 0.1)}

    assert total(shares) == CpuShare(8.5, 0.85)
    assert total(shares, leave_out=frozenset({"client"})) == CpuShare(7.5, 0.75)


def test_sampler_reads_each_named_process(tmp_path: Path) -> None:
    for pid, ticks in ((1, 100), (2, 40)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(stat_line("p", ticks, 0, pid=pid))
    sampler = Sampler({"one": 1, "two": 2, "missing": 3}, proc=tmp_path, hz=100)

    before = sampler.snapshot()
    (tmp_path / "1" / "stat").write_text(stat_line("p", 300, 0, pid=1))
    shares = sampler.usage_since(before, orders=100)

    assert before.ticks == {"one": 100, "two": 40}
    assert shares["one"].cpu_ms_per_order == 20.0  # 200 ticks at 100 Hz = 2 s over 100 orders
    assert shares["two"].cpu_ms_per_order == 0.0
    assert "missing" not in shares


def test_parse_pid() -> None:
    assert parse_pid("kafka=123") == ("kafka", 123)
    assert parse_pid(" worker-1 = 9 ") == ("worker-1", 9)
    for bad in ("kafka", "=12", "kafka=", "kafka=x1", "kafka=-1"):
        with pytest.raises(ValueError, match="NAME=PID"):
            parse_pid(bad)
