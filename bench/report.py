"""What the benchmark measured, as numbers: percentiles, one phase's summary, the table."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from dataclasses import dataclass, field

from bench.processes import Child


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


@dataclass
class Phase:
    """One side of the comparison on one broker."""

    count: int
    seconds: float
    per_second: float
    submit_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    peak_rss_mb: float
    steps_p50_ms: dict[str, float] = field(default_factory=dict)
    run_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    busy: float = 0.0
    skipped: int = 0
    swept: int = 0
    problems: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds per process group over the measured phase (bench/cpu.py)."""


def summarize(
    starts: list[float], ends: list[float], submit_seconds: float, rss: float, worker: Child
) -> Phase:
    latencies = [(end - start) * 1000 for start, end in zip(starts, ends, strict=True)]
    seconds = max(ends) - min(starts)
    runs = worker.run_times_ms()
    return Phase(
        count=len(starts),
        seconds=round(seconds, 3),
        per_second=round(len(starts) / seconds, 1),
        submit_per_second=round(len(starts) / submit_seconds, 1),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        peak_rss_mb=round(rss, 1),
        problems=worker.problems(),
        run_ms={
            name: {"p50": round(percentile(ms, 50), 1), "p99": round(percentile(ms, 99), 1)}
            for name, ms in runs.items()
        },
        busy=round(sum(sum(ms) for ms in runs.values()) / 1000 / (2 * seconds), 2),
    )


@dataclass
class BrokerResult:
    broker: str
    articles: int
    nashr: Phase
    baseline: Phase

    @property
    def ratio(self) -> float:
        return round(self.nashr.per_second / self.baseline.per_second, 3)


def print_table(
    results: list[BrokerResult], args: argparse.Namespace, payloads: str, load: str
) -> None:
    print("nashr full pipeline vs a bare Celery chain, same broker and worker settings")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_version()}, "
        f"load average {load} at the start, {load_average()} at the end"
    )
    print(
        f"payload ({args.workload}): {payloads} of JSON (UTF-8); "
        "worker: 1 x prefork -c 2, prefetch 4 a process, acks_late, JSON, "
        f"--without-gossip --without-mingle, -l INFO; warm-up {args.warmup}; "
        f"baseline chain: {args.chain_length} no-op tasks, one queue each, no result backend, "
        "stock Celery worker (nashr's sends task events in 100 ms batches and freezes its "
        "start-up objects for the garbage collector)"
    )
    print(
        f"nashr: POST /articles (uvicorn, {args.clients} clients on loopback) -> live; "
        "latency = ingest -> ticker done"
    )
    print()
    head = (
        f"{'broker':<9} {'N':>4} | {'nashr/s':>8} {'p50 ms':>8} {'p99 ms':>8} | "
        f"{'chains/s':>8} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>6} | {'RSS MB':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        a, b = r.nashr, r.baseline
        print(
            f"{r.broker:<9} {r.articles:>4}"
            f" | {a.per_second:>8.1f} {a.p50_ms:>8.0f} {a.p99_ms:>8.0f}"
            f" | {b.per_second:>8.1f} {b.p50_ms:>8.0f} {b.p99_ms:>8.0f} | {r.ratio:>6.3f}"
            f" | {a.peak_rss_mb:>5.0f} / {b.peak_rss_mb:>5.0f}"
        )
    print()
    print("RSS MB: peak (VmHWM) of the worker and its pool processes summed, nashr / baseline")
    for r in results:
        a, b = r.nashr, r.baseline
        spans = ", ".join(f"{k} {v:.0f}" for k, v in a.steps_p50_ms.items())
        print(f"{r.broker}:")
        print(f"  nashr    p95 {a.p95_ms:.0f} ms, {a.seconds:.1f} s, sent {a.submit_per_second}/s")
        print(f"  nashr    p50 ms per step (since the previous step): {spans}")
        for who, phase in (("nashr", a), ("baseline", b)):
            runs = ", ".join(f"{k} {v['p50']:.1f}/{v['p99']:.0f}" for k, v in phase.run_ms.items())
            print(f"  {who:<8} run time in the pool p50/p99 ms: {runs}; pool busy {phase.busy:.0%}")
        print(
            f"  nashr    {a.skipped} deliveries found nothing to do, {a.swept} sweeps re-sent work"
        )
        print(f"  baseline p95 {b.p95_ms:.0f} ms, {b.seconds:.1f} s, sent {b.submit_per_second}/s")
        for who, phase in (("nashr", a), ("baseline", b)):
            spent = ", ".join(f"{k} {v:.1f}" for k, v in phase.cpu_seconds.items())
            per = sum(phase.cpu_seconds.values()) * 1000 / max(1, phase.count)
            print(f"  {who:<8} CPU s: {spent} ({per:.0f} ms of CPU per item)")
        for who, phase in (("nashr", a), ("baseline", b)):
            for line in phase.problems:
                print(f"  {who} log: {line}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
