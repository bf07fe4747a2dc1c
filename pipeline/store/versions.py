"""Moving a version between states: the one compare-and-set every writer goes through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from pipeline.states import Status
from pipeline.store.schema import article_versions


def compare_and_set(
    db: Any, article_id: int, version: int, expected: Status, values: dict[str, Any]
) -> bool:
    """Update a version only if it is still in `expected`: of two racing runs, one wins."""
    moved = db.execute(
        update(article_versions)
        .where(
            article_versions.c.article_id == article_id,
            article_versions.c.version == version,
            article_versions.c.status == expected.value,
        )
        .values(**values)
    ).rowcount
    return bool(moved == 1)
