"""CPU seconds spent by each kind of process on the machine during a phase, from /proc.

Latencies on two shared cores say little about cost; the CPU each process group burned (the
workers, the API, PostgreSQL, the broker) says where a run's time went.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS: list[tuple[str, ...]] = [
    ("worker pool", "tasks.worker worker -Q", "[pool]"),
    ("worker main", "tasks.worker worker -Q", ""),
    ("celery beat", "celery -A tasks.worker beat"),
    ("baseline pool", "bench.baseline_tasks", "[pool]"),
    ("baseline main", "bench.baseline_tasks", ""),
    ("api (uvicorn)", "ingest.server"),
    ("api (uvicorn)", "uvicorn"),
    ("postgresql", "postgres"),
    ("rabbitmq", "beam.smp"),
    ("redis", "redis-server"),
    ("benchmark", "bench/"),
]


def _processes() -> dict[int, tuple[str, float]]:
    """pid → (command, CPU seconds); a worker's pool processes are told from its main one."""
    found: dict[int, tuple[str, float]] = {}
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        found[int(entry.name)] = (command, seconds)
        parents[int(entry.name)] = int(fields[1])
    for pid, (command, seconds) in list(found.items()):
        parent = found.get(parents[pid])
        if parent is not None and parent[0] == command and "worker" in command:
            found[pid] = (command + " [pool]", seconds)
    return found


def _group(command: str) -> str:
    for name, needle, *tag in GROUPS:
        if needle in command and (not tag or tag[0] in command):
            return name
    return "other"


class CpuMeter:
    """Snapshot at the start, difference at the end; processes born meanwhile count whole."""

    def __init__(self) -> None:
        self.before = _processes()

    def spent(self) -> dict[str, float]:
        totals: defaultdict[str, float] = defaultdict(float)
        for pid, (command, seconds) in _processes().items():
            earlier = self.before.get(pid)
            base = earlier[1] if earlier and earlier[0] == command else 0.0
            totals[_group(command)] += max(0.0, seconds - base)
        return {
            name: round(value, 1)
            for name, value in sorted(totals.items(), key=lambda item: -item[1])
            if value >= 0.1
        }
