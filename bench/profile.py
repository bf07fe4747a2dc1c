"""Where a worker's time goes: py-spy sampling the worker and its pool, summed by area.

`py-spy record --subprocesses` samples the main process and every pool child for as long as the
measured phase runs; the collapsed stacks are kept in the profile folder (open them in
speedscope or flamegraph.pl) and summarised here by the area of the code each sample is in.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.processes import BenchError, Child

AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("waiting for work (idle pool, broker poll)", ("billiard/pool", "select", "poll (", "wait (")),
    ("lock waits", ("filelock", "flock", "advisory")),
    (
        "enrich (tags, places, section)",
        (
            "pipeline/enrich",
            "pipeline/tags",
            "pipeline/section",
            "pipeline/places",
            "pipeline/arabic",
            "Stemmer",
        ),
    ),
    ("rendering pages (jinja2)", ("jinja2", "pipeline/site", "markupsafe", "pipeline/render")),
    ("rendering feeds (feedgen, lxml)", ("feedgen", "lxml", "pipeline/feed")),
    ("validate (nh3, markup)", ("pipeline/validate", "pipeline/markup", "nh3")),
    ("SQL (SQLAlchemy, psycopg, sqlite3)", ("sqlalchemy", "psycopg", "sqlite3")),
    ("writing files", ("pipeline/store/files", "tempfile", "os.replace")),
    ("broker and Celery (kombu, amqp, redis)", ("kombu", "amqp", "redis", "celery")),
    ("pydantic models", ("pydantic",)),
]


@dataclass
class Profiler:
    process: subprocess.Popen[bytes]
    output: Path

    @classmethod
    def attach(cls, worker: Child, folder: Path, name: str) -> Profiler:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
            "py-spy"
        )
        if spy is None:
            raise BenchError("--profile needs py-spy (.venv/bin/pip install py-spy)")
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / f"{name}.collapsed.txt"
        pid = str(worker.process.pid)
        command = [spy, "record", "--pid", pid, "--subprocesses", "--rate", "100",
                   "--format", "raw", "--nonblocking", "-o", str(output)]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(process, output)

    def report(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if not self.output.exists():
            print(f"# profile: py-spy wrote nothing to {self.output}", file=sys.stderr)
            return
        print_summary(self.output)


def collapsed_stacks(collapsed: Path) -> Iterator[tuple[list[str], int]]:
    """Each sampled stack of a py-spy `raw` file (outermost frame first) and its count."""
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if count_text.isdigit():
            yield stack.split(";"), int(count_text)


def print_summary(collapsed: Path, top: int = 25) -> None:
    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for frames, count in collapsed_stacks(collapsed):
        total += count
        areas[_area(frames)] += count
        own[frames[-1].strip()[:140]] += count
    if not total:
        return
    print(f"# profile ({collapsed}): {total} samples over the worker and its pool")
    for area, count in areas.most_common():
        print(f"#   {count / total:6.1%}  {area}")
    print("#   top frames by own samples:")
    for frame, count in own.most_common(top):
        print(f"#   {count / total:6.1%}  {frame}")


def _area(frames: list[str]) -> str:
    """The innermost frame that belongs to a known area names the sample."""
    for frame in reversed(frames):
        for area, needles in AREAS:
            if any(needle in frame for needle in needles):
                return area
    return "other"
