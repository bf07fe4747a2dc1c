"""deploy/alerts.yml and deploy/grafana-dashboard.json: valid, and every query names a metric
that GET /metrics really exports (read from a scrape, not from a list kept by hand)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.api import serving_api
from tests.services import IN_CI, ROOT

pytestmark = pytest.mark.integration

DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"
ALERTS = ROOT / "deploy" / "alerts.yml"
METRIC = re.compile(r"\bnashr_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    with serving_api(tmp_path_factory.mktemp("monitoring")) as api:
        answer = api.client.get("/metrics", headers=api.operator)
        assert answer.status_code == 200, answer.text
    return {family.name for family in text_string_to_metric_families(answer.text)}


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def _unknown(expressions: list[str], exported: set[str]) -> list[str]:
    named = {name for expr in expressions for name in METRIC.findall(expr)}
    assert named, "no query names a nashr metric"
    return sorted(name for name in named if name not in exported and _family(name) not in exported)


def test_the_dashboard_loads_and_every_query_names_an_exported_metric(exported: set[str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    titles = " ".join(panel["title"].lower() for panel in panels)
    for topic in ("queue depth", "step duration", "failures", "submit to live"):
        assert topic in titles, topic
    expressions = [target["expr"] for panel in panels for target in panel["targets"]]
    assert all(expr.strip() for expr in expressions)
    assert _unknown(expressions, exported) == []
    assert len({panel["id"] for panel in panels}) == len(panels)


def test_every_alert_names_an_exported_metric(exported: set[str]) -> None:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    names = {rule["alert"] for rule in rules}
    assert {
        "NashrQueueWithoutConsumer", "NashrQueueGrowing", "NashrFailedVersions",
        "NashrSweeperSilent", "NashrJobMissedSlot", "NashrSourceFailing", "NashrSourceIdle",
    } <= names  # fmt: skip
    assert _unknown([rule["expr"] for rule in rules], exported) == []


def test_promtool_accepts_the_alert_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "promtool is not installed (make test installs Debian's prometheus package)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_files_are_where_the_readme_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/alerts.yml" in readme and "deploy/grafana-dashboard.json" in readme
