"""API tokens: drawn from `secrets`, stored and queried only as SHA-256 digests, revoked by the
CLI with effect on the very next request, and each role limited to what it is for."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from pipeline.store.schema import metadata
from pipeline.store.tokens import Role, TokenStore
from tests.api import Api, serving_api
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or shutil.which("nashr")


@pytest.fixture(params=["sqlite", "postgres"], scope="module")
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with serving_api(tmp_path_factory.mktemp("tokens"), request.param) as running:
        yield running


def nashr(api: Api, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, in its own process, on the API's database."""
    assert NASHR is not None, "the nashr console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
    env["NASHR_DATA_DIR"] = str(api.settings.data_dir)
    if api.settings.database_url:
        env["NASHR_DATABASE_URL"] = api.settings.database_url
    return subprocess.run(
        [NASHR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def every_stored_value(api: Api) -> list[str]:
    """Every cell of every table, as text: where a leaked plaintext would show."""
    with api.engine.connect() as db:
        return [
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in db.execute(select(table))
        ]


# -- random -----------------------------------------------------------------------------------


def test_tokens_come_from_the_secrets_module(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []
    real = secrets.token_urlsafe

    def recording(nbytes: int | None = None) -> str:
        drawn.append(nbytes or 0)
        return real(nbytes)

    monkeypatch.setattr(secrets, "token_urlsafe", recording)
    token = api.tokens.create("from-secrets", Role.EDITOR)

    assert drawn == [32], "256 bits from the operating system's CSPRNG"
    assert token.startswith("nashr_") and len(token) == len("nashr_") + 43


def test_tokens_never_repeat_and_look_random(api: Api) -> None:
    tokens = [api.tokens.create(f"bulk-{n}", Role.EDITOR) for n in range(50)]
    assert len(set(tokens)) == 50
    bodies = "".join(t.removeprefix("nashr_") for t in tokens)
    # 43 URL-safe base64 characters each: every one of the 64 symbols shows up in 2,150 of them
    assert len(set(bodies)) >= 60


# -- stored only as hashes ----------------------------------------------------------------------


def test_the_database_never_holds_a_plaintext_token(api: Api) -> None:
    created = [api.tokens.create(f"stored-{role}", role) for role in Role]
    for token in [api.editor_token, api.operator_token, *created]:
        body = token.removeprefix("nashr_")
        digest = hashlib.sha256(token.encode()).hexdigest()
        cells = every_stored_value(api)
        assert not [c for c in cells if body in c], "a plaintext token is in the database"
        assert [c for c in cells if digest in c], "its SHA-256 digest is what is kept"
    if not api.settings.database_url:  # SQLite: the file and its write-ahead log, byte for byte
        for path in api.settings.data_dir.glob("nashr.sqlite*"):
            raw = _read_elsewhere(path)
            for token in created:
                assert token.removeprefix("nashr_").encode() not in raw, path.name


def _read_elsewhere(path: Path) -> bytes:
    """Read from another process: closing a descriptor on a SQLite file in this process would
    drop the POSIX locks the engine holds on it (and corrupt it under load)."""
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


def test_verifying_sends_only_the_digest_to_the_database(api: Api) -> None:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append(f"{statement} {parameters!r}")

    event.listen(api.engine, "before_cursor_execute", record)
    try:
        store = TokenStore(api.engine)
        assert store.verify(api.editor_token) is not None
        assert store.verify(api.editor_token[:-1] + "x") is None
    finally:
        event.remove(api.engine, "before_cursor_execute", record)
    body = api.editor_token.removeprefix("nashr_")
    assert sent and not [s for s in sent if body in s or body[:-1] in s]


def test_digests_are_compared_in_constant_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert TokenStore(api.engine).verify(api.editor_token) is not None
    digest = hashlib.sha256(api.editor_token.encode()).hexdigest()
    assert compared == [(digest, digest)]
    assert TokenStore.verify.__doc__ and "constant time" in TokenStore.verify.__doc__


# -- revocable, at once ----------------------------------------------------------------------


def test_a_token_revoked_with_the_cli_fails_on_the_next_request(api: Api) -> None:
    # Given a token made with the CLI, which the API accepts
    created = nashr(api, "token", "create", "--name", "leaving-editor", "--role", "editor")
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    first = api.client.post("/articles", json=SEED_ARTICLE, headers=headers)
    assert first.status_code == 202, first.text

    # When an operator revokes it from the shell
    revoked = nashr(api, "token", "revoke", "leaving-editor")
    assert revoked.returncode == 0 and "revoked 1" in revoked.stdout, revoked

    # Then the very next request with it is 401, for writing and for reading, and writes nothing
    before = api.counts()
    again = api.client.post("/articles", json=SEED_ARTICLE, headers=headers)
    assert again.status_code == 401 and again.headers["www-authenticate"] == "Bearer"
    status = api.client.get(f"/articles/{first.json()['id']}", headers=headers)
    assert status.status_code == 401
    assert api.counts() == before
    # And `token list` shows it revoked, without printing a token or a digest
    listed = nashr(api, "token", "list")
    assert "leaving-editor\teditor\trevoked" in listed.stdout
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert token not in listed.stdout + listed.stderr and digest not in listed.stdout


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda t: t.upper(), id="upper-case"),
        pytest.param(lambda t: t[:-1], id="one-short"),
        pytest.param(lambda t: t + "A", id="one-long"),
        pytest.param(lambda t: t.removeprefix("nashr_"), id="without-prefix"),
        pytest.param(lambda t: t + "\x00", id="nul-suffix"),
    ],
)
def test_a_token_almost_right_is_wrong(api: Api, change: Any) -> None:
    """(Spaces around it are not: HTTP strips them from a header value before anyone reads it.)"""
    before = api.counts()
    response = api.client.post(
        "/articles",
        json=SEED_ARTICLE,
        headers={"Authorization": f"Bearer {change(api.editor_token)}"},
    )
    assert response.status_code in (400, 401), response.text
    assert api.counts() == before


# -- roles -------------------------------------------------------------------------------------


def test_the_only_ways_to_change_anything_over_http(api: Api) -> None:
    """Submitting and taking down (editors), reporting an image (anyone, its counters), and the
    operator's actions: replaying a failed article, adding a job, and adding, fetching, pausing,
    resuming and removing a source. Everything else an operator does — republish, tokens,
    migrate, pausing and removing jobs — exists only in the shell."""
    paths = api.client.get("/openapi.json").json()["paths"]
    writes = {
        (method.upper(), path): bool(operation.get("security"))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method.upper() not in ("GET", "HEAD")
    }
    assert writes == {
        ("POST", "/articles"): True,
        ("POST", "/articles/{article_id}/unpublish"): True,
        ("POST", "/articles/{article_id}/images/{image_index}/reports"): False,
        ("POST", "/ops/articles/{article_id}/retry"): True,
        ("POST", "/ops/jobs"): True,
        ("POST", "/ops/sources"): True,
        ("POST", "/ops/sources/{name}/fetch"): True,
        ("POST", "/ops/sources/{name}/pause"): True,
        ("POST", "/ops/sources/{name}/resume"): True,
        ("DELETE", "/ops/sources/{name}"): True,
    }


def test_an_editor_submits_and_an_operator_cannot(api: Api) -> None:
    before = api.counts()
    refused = api.client.post("/articles", json=SEED_ARTICLE, headers=api.operator)
    assert refused.status_code == 403 and "editor" in refused.json()["detail"][0]["reason"]
    assert api.counts() == before
    assert api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).status_code == 202


@pytest.mark.parametrize("who", ["editor", "operator"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/articles/1/retry"),
        ("POST", "/articles/1/republish"),
        ("POST", "/retry"),
        ("POST", "/republish"),
        ("POST", "/tokens"),
        ("DELETE", "/tokens/test-editor"),
        ("DELETE", "/articles/1"),
        ("PUT", "/articles/1"),
        ("PATCH", "/articles/1"),
        ("POST", "/ops/migrate"),
    ],
)
def test_no_token_reaches_an_ops_action_over_http(
    api: Api, who: str, method: str, path: str
) -> None:
    api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor)
    before = api.counts()
    response = api.client.request(method, path, headers=getattr(api, who))
    assert response.status_code in (404, 405), response.text
    assert api.counts() == before


def test_the_api_never_logs_a_token(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor)
        api.client.post("/articles", json=SEED_ARTICLE, headers={"Authorization": "Bearer nashr_x"})
        api.client.get("/articles/1", headers=api.operator)
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    for token in (api.editor_token, api.operator_token):
        assert token.removeprefix("nashr_") not in logged
