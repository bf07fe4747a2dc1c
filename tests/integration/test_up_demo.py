"""`nashr up --submit`, as `make run` starts it: the editor token it makes for the sample
article is revoked once the article is live, so starts never pile up live tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError

from config.settings import Settings
from pipeline.domain.errors import TransientError
from pipeline.store import connect
from pipeline.store.tokens import TokenStore
from tests.cli import SEED_FILE, nashr_up_running
from tests.services import wait_until

pytestmark = pytest.mark.integration


def _demo_tokens(data_dir: Path) -> list[bool]:
    """Whether each `make-run` token is still live; none before the database is made."""
    if not (data_dir / "nashr.sqlite").exists():
        return []
    engine = connect(Settings(data_dir=data_dir).database)
    try:
        listed = TokenStore(engine).list()
    except (TransientError, DatabaseError):  # migrations still running
        return []
    finally:
        engine.dispose()
    return [not revoked for name, _, revoked in listed if name == "make-run"]


def _up_once(data_dir: Path) -> None:
    made = len(_demo_tokens(data_dir))
    with nashr_up_running(data_dir, "--submit", str(SEED_FILE)) as (process, _, log):

        def revoked_after_live() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"nashr up exited:\n{log.read_text()}")
            tokens = _demo_tokens(data_dir)
            return len(tokens) > made and not any(tokens)

        wait_until(revoked_after_live, 120, "the sample article live and its token revoked")


def test_make_run_revokes_the_token_it_made_each_time(tmp_path: Path) -> None:
    # Given two starts of `nashr up --submit` on the same data dir, one after the other
    _up_once(tmp_path)
    _up_once(tmp_path)

    # Then each made its token and revoked it: none is left live
    assert _demo_tokens(tmp_path) == [False, False]
