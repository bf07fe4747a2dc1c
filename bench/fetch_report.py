"""The sources benchmark's table: nashr's fetching beside its baselines, then minute by minute."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from statistics import fmean
from typing import TYPE_CHECKING

from bench.bare_fetch import Sample
from bench.fetch_figures import Figures
from bench.report import load_average, percentile

if TYPE_CHECKING:
    from bench.sources import Run


def _mean(values: list[float]) -> float:
    return fmean(values) if values else 0.0


def baseline_row(samples: list[Sample], share_200: float) -> dict[str, float]:
    """Mean CPU ms per 200 and per 304, and their mean at nashr's own mix of answers."""
    ok = [s.cpu_ms for s in samples if s.status == 200]
    same = [s.cpu_ms for s in samples if s.status == 304]
    walls = [s.wall_ms for s in samples]
    return {
        "mix": share_200 * _mean(ok) + (1 - share_200) * _mean(same),
        "200": _mean(ok),
        "304": _mean(same),
        "wall p50": percentile(walls, 50) if walls else 0.0,
        "wall p99": percentile(walls, 99) if walls else 0.0,
    }


def verdict(figures: Figures) -> list[str]:
    """What "falls behind" means here (bench/README.md): any of these above zero."""
    outcomes = figures.outcomes
    return [
        f"slots missed {figures.missed_slots}",
        f"fetches started a whole interval late {figures.late_past_next_slot}",
        f"left claimed or running {figures.left_unfinished}",
        f"superseded {outcomes.get('superseded', 0)}",
        f"failed {outcomes.get('failed', 0)}",
    ]


def print_report(
    args: argparse.Namespace,
    figures: Figures,
    run: Run,
    samples: dict[str, list[Sample]],
    load: str,
) -> None:
    database = "SQLite" if args.broker == "embedded" else "PostgreSQL"
    print("nashr pulling sources beside a bare conditional GET + parse of the same feeds")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"{load} at the start, {load_average()} at the end; 1-min load at each minute: "
        + " ".join(f"{x:.1f}" for x in run.minute_load)
    )
    print(
        f"feeds: {args.sources} RSS feeds of {args.items} corpus articles on loopback, "
        f"{args.new_per_minute:g} new a minute each ({args.arrivals} moments), ETag and "
        f"Last-Modified, gzip; polled every {args.every} s for {args.minutes} minutes, "
        f"sources added over {args.spread:g} s; {args.broker} + {database}"
    )
    print(
        "nashr: 1 publishing worker (prefork -c 2, the step queues), 1 fetch worker "
        "(-P threads -c 8), 1 beat; sources added without backfill"
    )
    print()
    nashr_ok = figures.answered_200 / figures.requests if figures.requests else 0.0
    start, first, end = run.cpu["start"], run.cpu["first_done"], run.cpu["end"]
    steady_cpu = end["fetch"] - first["fetch"]
    per_fetch = steady_cpu * 1000 / max(1, run.steady_fetches)
    first_fetch = (first["fetch"] - start["fetch"]) * 1000 / max(1, args.sources)
    head = f"{'CPU per fetch, ms':<44} {'mix':>7} {'per 200':>8} {'per 304':>8}"
    print(head)
    print("-" * len(head))
    print(
        f"{'nashr fetch worker, steady state':<44} {per_fetch:>7.1f} {'':>8} {'':>8}"
        f"   {run.steady_fetches} fetches, {steady_cpu:.1f} s CPU"
    )
    rows = {k: baseline_row(v, nashr_ok) for k, v in samples.items()}
    for key, label in (
        ("code", "nashr's fetch_feed + parse_feed alone"),
        ("bare", "bare: httpx GET + feedparser.parse"),
    ):
        row = rows[key]
        print(f"{label:<44} {row['mix']:>7.1f} {row['200']:>8.1f} {row['304']:>8.1f}")
    print(
        f"{'nashr first fetches (30 new items, kept)':<44} {first_fetch:>7.1f}"
        f"   {args.sources} fetches"
    )
    print(f"mix: at nashr's own share of 200s ({nashr_ok:.1%}); baselines run after nashr stopped")
    print()
    head = f"{'seconds':<44} {'p50':>7} {'p99':>8} {'max':>8} {'n':>6}"
    print(head)
    print("-" * len(head))
    for label, spread in (
        (f"fetch lag (started - due), minutes 1-{args.minutes - 1}", figures.lag_steady_s),
        ("fetch lag, all (first fetches included)", figures.lag_s),
        ("fetch run time (finished - started)", figures.duration_s),
        ("new item on the feed -> fetched by nashr", figures.arrival_to_fetched_s),
        ("fetched -> article live", figures.fetched_to_live_s),
        ("new item on the feed -> article live", figures.arrival_to_live_s),
    ):
        print(
            f"{label:<44} {spread['p50']:>7.2f} {spread['p99']:>8.2f} {spread['max']:>8.2f}"
            f" {spread['n']:>6.0f}"
        )
    for key, label in (("bare", "bare GET + parse wall ms"), ("code", "nashr code wall ms")):
        print(f"{label:<44} {rows[key]['wall p50']:>7.1f} {rows[key]['wall p99']:>8.1f}")
    print()
    print(
        f"304s (server-side): {figures.share_304:.1%} of nashr's {figures.requests} requests "
        f"({figures.answered_304} 304, {figures.answered_200} 200, {figures.answered_other} "
        f"other); 200s for a feed unchanged since nashr's last 200: "
        f"{figures.unchanged_answered_200}"
    )
    behind = verdict(figures)
    fell = any(int(part.rsplit(" ", 1)[1]) for part in behind)
    print(f"falls behind: {'YES' if fell else 'no'} ({'; '.join(behind)})")
    print(
        f"scheduled fetches {figures.scheduled}, outcomes {figures.outcomes}; deliveries the "
        f"fetch worker found already taken (a message delivered twice): "
        f"{run.duplicates}"
    )
    if figures.sources_short:
        print(f"  sources short of slots: {', '.join(figures.sources_short[:10])}")
    items = figures.items
    print(
        f"items: {items.expected} new items shown to nashr after its first fetches, "
        f"{items.published} of them published, {items.unexpected} published unexpectedly; "
        f"{items.sources_off} sources off; {items.dropped_unseen} came and went unseen"
    )
    if items.missing:
        after = items.missing_after_first_s
        print(
            f"  not published, by nashr's state for them: {dict(items.missing)}; they arrived "
            f"{min(after):.1f} to {max(after):.1f} s after the source's first answer"
        )
    drained = "never" if run.drained is None else f"{run.drained:.0f} s after fetching stopped"
    print(f"articles: {run.live} live of {run.articles} submitted; the chain drained {drained}")
    publish = run.cpu["drained"]["publish"] - start["publish"]
    print(
        f"CPU s over the run: fetch worker {end['fetch'] - start['fetch']:.1f} (idle, it spends "
        f"{run.idle_fetch_cpu_per_minute:.2f} s a minute), publishing worker {publish:.1f} "
        f"({publish * 1000 / max(1, run.articles):.0f} ms per article, the chain drained), "
        f"beat {end['beat'] - start['beat']:.1f}; the rest of the machine: "
        + ", ".join(f"{k} {v:.1f}" for k, v in run.others_cpu.items())
    )
    print()
    head = (
        f"{'min':>3} {'fetches':>7} {'sources':>7} {'200':>4} {'304':>4} {'fail':>4}"
        f" | {'lag p50':>7} {'p99':>6} {'max':>6} | {'run p99':>7} | {'published':>9}"
        f" | {'CPU s':>6} {'ms/fetch':>8} | {'load':>5}"
    )
    print(head)
    print("-" * len(head))
    for m in figures.minutes:
        cpu_s = run.minute_cpu[m.minute] if m.minute < len(run.minute_cpu) else 0.0
        load_m = run.minute_load[m.minute] if m.minute < len(run.minute_load) else 0.0
        print(
            f"{m.minute:>3} {m.fetches:>7} {m.sources:>7} {m.ok:>4} {m.not_modified:>4}"
            f" {m.failed:>4} | {m.lag['p50']:>7.2f} {m.lag['p99']:>6.2f} {m.lag['max']:>6.2f}"
            f" | {m.duration['p99']:>7.2f} | {m.published:>9} | {cpu_s:>6.1f}"
            f" {cpu_s * 1000 / max(1, m.fetches):>8.1f} | {load_m:>5.2f}"
        )
    print("minute: of the due time since the sources were added; CPU s: the fetch worker's")
    for line in run.problems:
        print(f"log: {line}")
    if run.profile:
        print()
        print("fetch worker profile, steady state: " + run.profile[0])
        for line in run.profile[1:]:
            print(f"  {line}")
