"""CPU time of processes, read from /proc/<pid>/stat: what `orderflow bench` samples around
each round to show which process the time went to.

`stat_ticks` and `usage` are pure; `Sampler` reads /proc (Linux only: elsewhere, and for a
process that is gone, a sample simply lacks that process).
"""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
# The fields after the command name: state is the first, utime the 12th, stime the 13th
# (fields 3, 14 and 15 of proc(5), counting the pid as 1 and the command name as 2).
_UTIME = 11
_STIME = 12


def stat_ticks(line: str) -> int:
    """utime + stime, in clock ticks, from one /proc/<pid>/stat line. The command name (in
    parentheses) may itself hold spaces and parentheses, so the fields are counted from the
    last ')'."""
    end = line.rfind(")")
    fields = line[end + 1 :].split() if end >= 0 else []
    if len(fields) <= _STIME:
        raise ValueError(f"not a /proc/<pid>/stat line: {line[:80]!r}")
    return int(fields[_UTIME]) + int(fields[_STIME])


def read_ticks(pid: int, proc: Path = PROC) -> int | None:
    """The process's CPU time so far in clock ticks; None when there is no such process."""
    try:
        return stat_ticks((proc / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def clock_ticks_per_s() -> int:
    return os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuShare:
    """One process's CPU over a round: milliseconds per order, and the average number of
    cores it kept busy (CPU seconds / wall seconds)."""

    cpu_ms_per_order: float
    cores: float


@dataclass(frozen=True)
class Snapshot:
    at: float  # time.perf_counter() when the snapshot was taken
    ticks: Mapping[str, int]  # by process name; a process that was gone is missing


def usage(before: Snapshot, after: Snapshot, orders: int, hz: int) -> dict[str, CpuShare]:
    """Each process's share between two snapshots (processes present in both)."""
    seconds = max(after.at - before.at, 1e-9)
    shares = {}
    for name, end in after.ticks.items():
        start = before.ticks.get(name)
        if start is not None:
            cpu_s = (end - start) / hz
            shares[name] = CpuShare(round(cpu_s * 1000 / orders, 2), round(cpu_s / seconds, 3))
    return shares


def total(shares: Mapping[str, CpuShare], leave_out: frozenset[str] = frozenset()) -> CpuShare:
    """The sum over processes, but those named in `leave_out`."""
    kept = [share for name, share in shares.items() if name not in leave_out]
    return CpuShare(
        round(sum(s.cpu_ms_per_order for s in kept), 2), round(sum(s.cores for s in kept), 3)
    )


@dataclass
class Sampler:
    """Snapshots of the CPU time of named processes."""

    pids: Mapping[str, int]
    proc: Path = PROC
    hz: int = field(default_factory=clock_ticks_per_s)

    def snapshot(self) -> Snapshot:
        ticks = {name: read_ticks(pid, self.proc) for name, pid in self.pids.items()}
        return Snapshot(time.perf_counter(), {n: t for n, t in ticks.items() if t is not None})

    def usage_since(self, before: Snapshot, orders: int) -> dict[str, CpuShare]:
        return usage(before, self.snapshot(), orders, self.hz)


def parse_pid(text: str) -> tuple[str, int]:
    """`NAME=PID` (the bench's `--pid` option) as (name, pid)."""
    name, sep, pid = text.partition("=")
    if not sep or not name.strip() or not pid.strip().isdigit():
        raise ValueError(f"expected NAME=PID, got {text!r}")
    return name.strip(), int(pid)
