"""A claim whose message was lost (the beat died before its send, or the broker lost it) is
taken again by one beat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table, update

from pipeline.store.database import transaction, utcnow

CLAIMED = "claimed"


def retake_lost(engine: Engine, table: Table, rows: Sequence[Any]) -> list[Any]:
    """The rows (claimed, never started) this beat takes again. Taking one moves its
    `claimed_at` by compare-and-set, so of two beats reading the same row one sends it."""
    taken = []
    now = utcnow()
    for row in rows:
        with transaction(engine) as db:
            moved = db.execute(
                update(table)
                .where(
                    table.c.id == row.id,
                    table.c.claimed_at == row.claimed_at,
                    table.c.outcome == CLAIMED,
                )
                .values(claimed_at=now)
            ).rowcount
        if moved == 1:
            taken.append(row)
    return taken
