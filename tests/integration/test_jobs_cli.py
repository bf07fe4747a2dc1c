"""`nashr jobs …` as operators type it, on the embedded default: add, list, pause, resume, run,
history, remove; and every bad request refused with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.store import connect
from pipeline.store.jobs import JobStore
from tests.cli import nashr, ok

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ok(nashr(tmp_path, "migrate"))
    return tmp_path


def _listed(data_dir: Path) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(
        "\n".join(ok(nashr(data_dir, "jobs", "list", "--json")))
    )
    return listed


def _stored(data_dir: Path) -> list[str]:
    """Jobs operators added, read from the database itself (no command start-up to pay)."""
    store = JobStore(connect(f"sqlite:///{data_dir / 'nashr.sqlite'}"))
    try:
        return [job.name for job in store.all() if not job.built_in]
    finally:
        store.engine.dispose()


def test_a_job_is_added_listed_paused_resumed_run_and_removed(data_dir: Path) -> None:
    ok(nashr(data_dir, "jobs", "add", "nightly", "--cron", "0 3 * * *", "--rebuild-site"))
    ok(nashr(data_dir, "jobs", "add", "ticker-age", "--every", "600", "--expire-ticker", "6"))
    listed = {job["name"]: job for job in _listed(data_dir)}
    assert list(listed) == ["sweep-stuck-articles", "refresh-listings", "nightly", "ticker-age"]
    nightly = listed["nightly"]
    assert set(nightly) >= {
        "name",
        "schedule",
        "action",
        "paused",
        "next_run_at",
        "last_run_at",
        "runs",
    }
    assert (nightly["schedule"], nightly["action"], nightly["paused"], nightly["runs"]) == (
        "cron 0 3 * * *", "rebuild-site", False, 0,
    )  # fmt: skip
    assert str(nightly["next_run_at"]).endswith("03:00:00Z")
    assert listed["sweep-stuck-articles"]["action"] == "sweep"

    ok(nashr(data_dir, "jobs", "pause", "nightly"))
    assert {j["name"]: j["paused"] for j in _listed(data_dir)}["nightly"] is True
    ok(nashr(data_dir, "jobs", "resume", "nightly"))
    assert {j["name"]: j["paused"] for j in _listed(data_dir)}["nightly"] is False

    assert ok(nashr(data_dir, "jobs", "run", "nightly"))[-1].startswith("job nightly done")
    runs = json.loads("\n".join(ok(nashr(data_dir, "jobs", "history", "nightly", "--json"))))
    assert [(r["trigger"], r["outcome"]) for r in runs] == [("manual", "succeeded")]
    assert {j["name"]: j["runs"] for j in _listed(data_dir)}["nightly"] == 1

    ok(nashr(data_dir, "jobs", "remove", "nightly"))
    assert [j["name"] for j in _listed(data_dir)][-1] == "ticker-age"
    assert nashr(data_dir, "jobs", "history", "nightly").returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--cron", "61 * * * *", "--rebuild-site"], "does not parse"),
        (["x", "--cron", "* * * *", "--rebuild-site"], "five fields"),
        (["x", "--every", "5", "--republish", "12345"], "article 12345 is unknown"),
        (["x", "--every", "5", "--republish", "-3"], "article id"),
        (["x", "--every", "5"], "exactly one of --republish"),
        (["x", "--every", "5", "--rebuild-site", "--expire-ticker", "3"], "exactly one of"),
        (["x", "--rebuild-site"], "exactly one of --every"),
        (["x", "--every", "0", "--rebuild-site"], "--every must be"),
        (["x", "--every", "5", "--expire-ticker", "-1"], "hours"),
        (["x", "--every", "5", "--rebuild-tag", "<script>alert(1)</script>"], "tag slug"),
        (["x", "--every", "5", "--rebuild-tag", "a\u202eb"], "tag slug"),
        (["", "--every", "5", "--rebuild-site"], "name:"),
        (["<b>", "--every", "5", "--rebuild-site"], "name:"),
        (["x" * 5000, "--every", "5", "--rebuild-site"], "name:"),
        (["sweep-stuck-articles", "--every", "5", "--rebuild-site"], "exists already"),
    ],
)
def test_a_bad_job_is_refused_clearly_and_nothing_is_stored(
    data_dir: Path, args: list[str], message: str
) -> None:
    before = _stored(data_dir)
    result = nashr(data_dir, "jobs", "add", *args)
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _stored(data_dir) == before


def test_a_duplicate_name_is_refused_and_the_first_job_kept(data_dir: Path) -> None:
    ok(nashr(data_dir, "jobs", "add", "dup", "--every", "60", "--rebuild-site"))
    result = nashr(data_dir, "jobs", "add", "dup", "--every", "5", "--expire-ticker", "1")
    assert result.returncode == 2 and "a job named 'dup' exists already" in result.stderr
    assert next(j for j in _listed(data_dir) if j["name"] == "dup")["action"] == "rebuild-site"


def test_built_in_jobs_cannot_be_removed_and_unknown_ones_are_named(data_dir: Path) -> None:
    result = nashr(data_dir, "jobs", "remove", "sweep-stuck-articles")
    assert result.returncode == 2 and "pause it instead" in result.stderr
    for command in ("pause", "resume", "remove", "run", "history"):
        result = nashr(data_dir, "jobs", command, "nope")
        assert result.returncode == 2 and "no job named 'nope'" in result.stderr, command
