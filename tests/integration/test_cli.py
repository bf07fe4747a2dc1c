"""The `nashr` command as operators run it: a real process, its output and its exit code."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.settings import Settings
from ingest.app import create_app
from pipeline.store import connect
from pipeline.store.schema import tokens
from tests.cli import (
    SEED_FILE,
    create_token,
    free_port,
    nashr,
    ok,
)
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ok(nashr(tmp_path, "migrate"))
    return tmp_path


def test_migrate_creates_the_database_and_can_run_again(tmp_path: Path) -> None:
    assert ok(nashr(tmp_path, "migrate"))[-1] == "schema is up to date"
    assert (tmp_path / "nashr.sqlite").is_file()
    assert ok(nashr(tmp_path, "migrate"))[-1] == "schema is up to date"


def test_migrate_without_a_database_says_so_in_one_line_without_the_password(
    tmp_path: Path,
) -> None:
    # Given a PostgreSQL URL where nothing listens (port 1), with a password in it
    unreachable = "postgresql://editor:s3cret-pw@127.0.0.1:1/nashr"

    # When an operator migrates, or asks for a status
    for args in (("migrate",), ("status", "1")):
        result = nashr(tmp_path, *args, NASHR_DATABASE_URL=unreachable)

        # Then it fails with one line naming the problem: no traceback, no password
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert result.stderr.strip().splitlines() == [
            "nashr: database unavailable: OperationalError "
            "(is the database in NASHR_DATABASE_URL running and reachable?)"
        ], args
        assert "Traceback" not in result.stderr + result.stdout
        assert "s3cret" not in result.stderr + result.stdout


def test_token_create_prints_the_token_last_and_stores_only_its_hash(data_dir: Path) -> None:
    lines = ok(nashr(data_dir, "token", "create", "--name", "x", "--role", "editor"))
    token = lines[-1]
    assert token.startswith("nashr_") and len(token) > 30 and " " not in token
    assert all(token not in line for line in lines[:-1])

    engine = connect(Settings(data_dir=data_dir).database)
    with engine.connect() as db:
        rows = db.execute(select(tokens.c.name, tokens.c.role, tokens.c.token_hash)).all()
    engine.dispose()
    assert [(r.name, r.role) for r in rows] == [("x", "editor")]
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    database = (data_dir / "nashr.sqlite").read_bytes()
    assert token.encode() not in database
    assert token.removeprefix("nashr_").encode() not in database


def test_token_create_refuses_an_unknown_role(data_dir: Path) -> None:
    result = nashr(data_dir, "token", "create", "--name", "x", "--role", "admin")
    assert result.returncode == 2
    assert "admin" in result.stderr
    assert ok(nashr(data_dir, "token", "list")) == []


def test_revoked_token_is_refused_by_the_api(data_dir: Path) -> None:
    # Given an editor token the API accepts
    token = create_token(data_dir, "x")
    other = create_token(data_dir, "y", "operator")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(Settings(data_dir=data_dir))
    with TestClient(app) as client:
        assert client.get("/articles/12345", headers=headers).status_code == 404

        # When it is revoked from the command line
        assert ok(nashr(data_dir, "token", "revoke", "x")) == ["revoked 1 token(s)"]

        # Then the API answers 401 for it, and only for it
        response = client.get("/articles/12345", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"][0]["field"] == "authorization"
        posted = client.post("/articles", json=SEED_ARTICLE, headers=headers)
        assert posted.status_code == 401
        other_headers = {"Authorization": f"Bearer {other}"}
        assert client.get("/articles/12345", headers=other_headers).status_code == 404
    app.state.articles.engine.dispose()

    # And the list says so; revoking again finds nothing
    assert ok(nashr(data_dir, "token", "list")) == ["x\teditor\trevoked", "y\toperator\tactive"]
    again = nashr(data_dir, "token", "revoke", "x")
    assert again.returncode == 1 and again.stdout.strip() == "revoked 0 token(s)"


def test_token_list_shows_names_roles_and_state_never_tokens(data_dir: Path) -> None:
    assert ok(nashr(data_dir, "token", "list")) == []
    first = create_token(data_dir, "desk", "editor")
    second = create_token(data_dir, "ops", "operator")
    result = nashr(data_dir, "token", "list")
    assert ok(result) == ["desk\teditor\tactive", "ops\toperator\tactive"]
    assert first not in result.stdout and second not in result.stdout


def test_jobs_lists_the_sweeper_and_the_refresh(data_dir: Path) -> None:
    lines = ok(nashr(data_dir, "jobs"))
    assert [line.split("\t") for line in lines] == [
        ["sweep-stuck-articles", "nashr.sweep", "every 10.0s"],
        ["refresh-listings", "nashr.refresh", "every 3600.0s"],
    ]
    custom = ok(nashr(data_dir, "jobs", NASHR_SWEEP_INTERVAL_SECONDS="2.5"))
    assert custom[0].endswith("every 2.5s")


def test_status_of_an_unknown_article_exits_1(data_dir: Path) -> None:
    result = nashr(data_dir, "status", "12345")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no article 12345" in result.stderr


def test_status_refuses_a_non_number(data_dir: Path) -> None:
    assert nashr(data_dir, "status", "abc").returncode == 2


def test_retry_with_nothing_failed_lists_nothing(data_dir: Path) -> None:
    assert ok(nashr(data_dir, "retry")) == []


def test_show_image_brings_back_a_hidden_image_and_republishes(data_dir: Path) -> None:
    from pipeline.store import ArticleStore
    from pipeline.store.outputs import OutputStore
    from pipeline.store.reports import ReportStore
    from tests.security.test_image_reports import TWO_IMAGES, make_live_in

    # Given a live article whose first image readers have hidden
    engine = connect(f"sqlite:///{data_dir / 'nashr.sqlite'}")
    article_id = make_live_in(ArticleStore(engine), TWO_IMAGES)
    reports = ReportStore(engine)
    for n in range(3):
        assert reports.report(article_id, 0, f"reader-{n}", threshold=3) is not None
    assert reports.summary(article_id)[0].hidden

    # When an editor shows it again
    lines = ok(nashr(data_dir, "show-image", str(article_id), "0"))

    # Then it is shown, its count starts over, and its page and JSON have it again
    assert lines[-1] == f"image 0 of article {article_id} is shown again"
    assert reports.summary(article_id)[0].count == 0
    assert not reports.summary(article_id)[0].hidden
    stored = OutputStore(engine).get(f"/news/{article_id}.json")[f"/news/{article_id}.json"]
    written = json.loads(stored.body)
    assert [image["url"] for image in written["images"]] == [
        image["url"] for image in TWO_IMAGES["images"]
    ]
    engine.dispose()

    # And an image that is not hidden, or not there, is an error
    for args in (("show-image", str(article_id), "0"), ("show-image", str(article_id), "7")):
        result = nashr(data_dir, *args)
        assert result.returncode == 1 and "is not hidden" in result.stderr


def test_unpublish_takes_the_page_down_at_once(data_dir: Path) -> None:
    from pipeline.store import ArticleStore
    from pipeline.store.outputs import OutputStore
    from tests.security.test_image_reports import TWO_IMAGES, make_live_in

    # Given a live article whose page is written
    engine = connect(f"sqlite:///{data_dir / 'nashr.sqlite'}")
    article_id = make_live_in(ArticleStore(engine), TWO_IMAGES)
    ok(nashr(data_dir, "republish", str(article_id)))
    page = f"/news/{article_id}.html"
    assert OutputStore(engine).get(page)[page].status == 200

    # When an operator takes it down from the shell
    lines = ok(nashr(data_dir, "unpublish", str(article_id)))

    # Then the page answers 410 now, not at the next sweep, and its status says so
    assert lines[-1] == f"article {article_id} unpublished (1 version(s) taken down)"
    assert OutputStore(engine).get(page)[page].status == 410
    engine.dispose()
    status = json.loads("\n".join(ok(nashr(data_dir, "status", str(article_id), "--json"))))
    assert status["status"] == "unpublished"
    result = nashr(data_dir, "unpublish", "424242")
    assert result.returncode == 1 and "no article 424242" in result.stderr


def test_republish_of_an_unknown_article_exits_1(data_dir: Path) -> None:
    result = nashr(data_dir, "republish", "12345")
    assert result.returncode == 1
    assert "not published" in result.stderr


def test_submit_without_a_token_exits_2(data_dir: Path) -> None:
    result = nashr(data_dir, "submit", str(SEED_FILE))
    assert result.returncode == 2
    assert "NASHR_TOKEN" in result.stderr


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_submit_of_a_missing_file_says_so(data_dir: Path) -> None:
    result = nashr(data_dir, "submit", str(data_dir / "missing.json"), NASHR_TOKEN="nashr_x")
    assert_no_traceback(result)
    assert result.returncode == 2 and "missing.json" in result.stderr


def test_submit_with_the_api_down_says_so(data_dir: Path) -> None:
    result = nashr(
        data_dir,
        "submit",
        str(SEED_FILE),
        NASHR_TOKEN="nashr_x",
        NASHR_API_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert_no_traceback(result)
    assert result.returncode == 1 and "127.0.0.1" in result.stderr


@pytest.mark.parametrize("command", ["status", "republish"])
def test_an_id_too_large_for_the_database_is_not_found(data_dir: Path, command: str) -> None:
    result = nashr(data_dir, command, "99999999999999999999")
    assert_no_traceback(result)
    assert result.returncode == 1


def test_no_arguments_prints_help(tmp_path: Path) -> None:
    result = nashr(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("migrate", "up", "submit", "token", "status", "retry", "jobs"):
        assert command in result.stdout
