"""Coalesced rebuilds, coordinated through the database: no file lock, no shared disk.

A publish asks for the site's listings to be rebuilt by setting `due_at` on the rebuild's row,
if no rebuild is due yet; only the caller that sets it sends the rebuild message, after at least
the rebuild's gap since the last one, so a burst of publishes costs a few rebuilds. The rebuild
clears `due_at` as its first write, which row-locks it until the rebuild commits: two rebuilds
of one listing never overlap, and a request arriving meanwhile waits for that commit, then
becomes the next rebuild's. Every publish committed before a rebuild's reads is in that rebuild.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    or_,
    select,
    update,
)

from pipeline.store.database import transaction, utcnow
from pipeline.store.schema import metadata

SITE = "site"
"""The home page, the site-wide feeds and the ticker: what makes an article `live`."""
SPACING = 10.0
MAX_SPACING = 1.0
"""However slow the last rebuild, the next may start a second after it: live within ~1 s."""
LOST_AFTER = timedelta(seconds=10)
"""A rebuild due this long without running is taken for lost (its message with it): the next
request sends it again, and so does the sweeper."""

rebuilds = Table(
    "rebuilds",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("due_at", DateTime, nullable=True),
    Column("built_at", DateTime, nullable=True),
    Column("runs", Integer, nullable=False, server_default="0"),
    Column("seconds", Float, nullable=False, server_default="0"),
)
"""`seconds`: how long the last rebuild took; rebuilds are spaced by at least ten times that,
so under a burst they take at most a tenth of a worker, whatever the feeds hold."""


_REQUEST = (
    update(rebuilds)
    .where(
        rebuilds.c.name == bindparam("key"),
        or_(rebuilds.c.due_at.is_(None), rebuilds.c.due_at < bindparam("lost")),
    )
    .values(due_at=bindparam("now"))
    .returning(rebuilds.c.built_at, rebuilds.c.seconds)
)
"""Built once: every ticker step runs it."""


def request(engine: Engine, name: str, gap_seconds: float, urgent: bool = False) -> float | None:
    """Ask for a rebuild. Returns the delay to send it with when this caller must send it (0
    when `urgent`); None when one is already due, which will cover this request."""
    with transaction(engine) as db:
        return request_in(db, name, gap_seconds, urgent)


def request_in(db: Connection, name: str, gap_seconds: float, urgent: bool = False) -> float | None:
    """`request`, inside the caller's transaction (a takedown asks in the same one)."""
    now = utcnow()
    built_at = db.execute(_REQUEST, {"key": name, "now": now, "lost": now - LOST_AFTER}).first()
    if built_at is None:
        return None
    if built_at[0] is None or urgent:
        return 0.0
    spacing = max(gap_seconds, min(MAX_SPACING, SPACING * float(built_at[1])))
    return max(0.0, spacing - float((now - built_at[0]).total_seconds()))


def claim(db: Connection, name: str) -> None:
    """The rebuild's first write: it holds the row until the rebuild commits."""
    db.execute(update(rebuilds).where(rebuilds.c.name == name).values(due_at=None))


def done(db: Connection, name: str, seconds: float) -> None:
    db.execute(
        update(rebuilds)
        .where(rebuilds.c.name == name)
        .values(built_at=utcnow(), runs=rebuilds.c.runs + 1, seconds=seconds)
    )


def overdue(engine: Engine, older_than: datetime) -> list[str]:
    """Rebuilds asked for before `older_than` that have not run: their message was lost."""
    with transaction(engine) as db:
        rows = db.execute(select(rebuilds.c.name).where(rebuilds.c.due_at < older_than)).all()
    return [row.name for row in rows]
