"""Where the fetch worker's CPU goes: py-spy samples of its threads on the CPU, per function.

The fetch worker runs its fetches in threads of one process; py-spy leaves out threads that
sleep (waiting on the network, the database or the GIL), so the samples are of CPU spent,
C code that releases the GIL included (loading the CA bundle for a TLS context is). A sample
counts for every function on its stack, so the shares are inclusive.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.processes import BenchError, Child

LINE = re.compile(r":\d+\)$")
MARKERS = {
    "SQL (psycopg, sqlite3, SQLAlchemy)": ("psycopg/", "sqlite3", "sqlalchemy/"),
    "TLS context per fetch (ssl.create_default_context)": ("create_default_context",),
    "feedparser": ("feedparser/",),
    "nh3 (HTML cleaning)": ("nh3",),
    "Celery and the broker outside a task": (),
}


@dataclass
class FetchProfiler:
    process: subprocess.Popen[bytes]
    output: Path

    @classmethod
    def attach(cls, worker: Child, folder: Path) -> FetchProfiler:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
            "py-spy"
        )
        if spy is None:
            raise BenchError("--profile needs py-spy (.venv/bin/pip install py-spy)")
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / "fetch-worker.collapsed.txt"
        command = [spy, "record", "--pid", str(worker.process.pid), "--rate", "100",
                   "--format", "raw", "--nonblocking", "-o", str(output)]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(process, output)

    def stop(self) -> list[str]:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if not self.output.exists():
            return [f"py-spy wrote nothing to {self.output}"]
        return summary(self.output)


def summary(collapsed: Path, top: int = 22) -> list[str]:
    """Inclusive shares: nashr's own functions, then a few libraries wherever they are."""
    functions: Counter[str] = Counter()
    markers: Counter[str] = Counter()
    total = bare = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = {LINE.sub(")", frame.strip()) for frame in stack.split(";")} - {""}
        if not frames:
            bare += count
            continue
        total += count
        for frame in frames:
            if "(pipeline/" in frame or "(tasks/" in frame:
                functions[frame] += count
        for name, needles in MARKERS.items():
            inside = any(n in frame for frame in frames for n in needles)
            if inside or (not needles and not any("fetch_source (" in f for f in frames)):
                markers[name] += count
    if not total:
        return ["py-spy took no samples with a Python stack"]
    found = [
        f"{total} samples of threads on the CPU with a Python stack, and {bare} without one "
        f"({bare / (total + bare):.0%}: native code outside any Python frame) "
        f"({collapsed}); inclusive shares of the first:"
    ]
    found += [f"{count / total:6.1%}  {name}" for name, count in markers.most_common()]
    found += [f"{count / total:6.1%}  {name}" for name, count in functions.most_common(top)]
    return found
