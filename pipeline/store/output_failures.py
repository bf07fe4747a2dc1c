"""Outputs that could not be rendered or written: each recorded against itself, for operators.

One poisoned output (a tag page whose name the disk refuses, a feed a renderer chokes on) must
never hold up the rest of the site, so a rebuild records it here and goes on; the next rebuild
that writes the path clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.domain.moments import as_utc
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.outputs import outputs
from pipeline.store.schema import metadata

MAX_ERROR_CHARS = 2000

output_failures = Table(
    "output_failures",
    metadata,
    Column("path", String(400), primary_key=True),
    Column("article_id", Integer, nullable=True),
    Column("error", Text, nullable=False),
    Column("failed_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
)
"""`article_id`: set when the output is that article's own page or JSON."""


@dataclass(frozen=True)
class OutputFailure:
    path: str
    article_id: int | None
    error: str
    failed_at: datetime
    attempts: int


class OutputFailures:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, path: str, error: str, article_id: int | None = None) -> None:
        now = utcnow()
        values = {
            "path": path[:400],
            "article_id": article_id,
            "error": error[:MAX_ERROR_CHARS],
            "failed_at": now,
            "attempts": 1,
        }
        with transaction(self.engine) as db:
            dialect = postgresql if db.dialect.name == "postgresql" else sqlite
            db.execute(
                dialect.insert(output_failures)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["path"],
                    set_={
                        "error": values["error"],
                        "failed_at": now,
                        "attempts": output_failures.c.attempts + 1,
                    },
                )
            )

    def cleared(self, paths: Iterable[str]) -> None:
        """These paths were written whole: whatever failed on them before is over."""
        wanted = [path[:400] for path in paths]
        if not wanted:
            return
        with transaction(self.engine) as db:
            db.execute(delete(output_failures).where(output_failures.c.path.in_(wanted)))

    def listed(self, limit: int = 100) -> list[OutputFailure]:
        """Failures not mended since: an output written whole after it failed is fine again,
        so the publishing path never has to clear anything."""
        mended = (
            select(outputs.c.path)
            .where(
                outputs.c.path == output_failures.c.path,
                outputs.c.updated_at > output_failures.c.failed_at,
            )
            .exists()
        )
        with reading(self.engine) as db:
            rows = db.execute(
                select(output_failures)
                .where(~mended)
                .order_by(output_failures.c.failed_at.desc())
                .limit(limit)
            ).all()
        return [
            OutputFailure(r.path, r.article_id, r.error, as_utc(r.failed_at), r.attempts)
            for r in rows
        ]
