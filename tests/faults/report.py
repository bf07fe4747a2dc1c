"""The figures of one fault run, printed (pytest -s) and kept as JSON in tests/faults/.results/."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / ".results"


@dataclass
class Figures:
    scenario: str
    backend: str
    articles_in_flight: int = 0
    submissions: int = 0
    faults_injected: int = 0
    lost: int = 0
    duplicates: int = 0
    failed: int = 0
    replayed: int = 0
    snapshots_checked: int = 0
    seconds: float = 0.0
    faults: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"[faults] {self.scenario} on {self.backend}: "
            f"{self.articles_in_flight} articles in flight ({self.submissions} submissions), "
            f"{self.faults_injected} faults injected, {self.lost} lost, "
            f"{self.duplicates} duplicates, {self.failed} failed and {self.replayed} replayed, "
            f"{self.snapshots_checked} listing snapshots checked, {self.seconds:.1f} s"
        )

    def save(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.scenario}-{self.backend}")
        path = RESULTS_DIR / f"{name}.json"
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", "utf-8")
        return path


FINISHED: list[Figures] = []
"""Every run's figures in this session, for the summary at the end (see conftest.py)."""
