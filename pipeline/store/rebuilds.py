"""Coalesced rebuilds, coordinated through the database: no file lock, no shared disk.

A publish asks for the site's listings to be rebuilt by setting `due_at` on the rebuild's row,
if no rebuild is due yet; only the caller that sets it sends the rebuild message, after at least
the rebuild's gap since the last one, so a burst of publishes costs a few rebuilds.

A rebuild first clears `due_at` in a transaction of its own (`claim`), then reads and writes
the listings in a second one that holds the rebuild's lock (`serialise`), so two rebuilds of
one listing never overlap. The claim must commit before the reads: a request is an UPDATE
that matches only while `due_at` is clear, and on PostgreSQL an UPDATE skips, without
waiting, a row its snapshot shows as not matching, so a request made while a claim was still
uncommitted would find "a rebuild is due" and rely on a rebuild that had already read past
it. With the claim committed first, a request either comes before it (and the rebuild's
reads, later still, see what the requester committed) or after it (and finds `due_at` clear,
so it asks for a rebuild of its own). Requests never wait on a running rebuild.

The rule for callers: ask only after what the rebuild must show has committed.
"""

from __future__ import annotations

import hashlib
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
    func,
    or_,
    select,
    update,
)

from pipeline.store.database import one_statement, reading, utcnow
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
    now = utcnow()
    # one statement, no transaction around it: every ticker step runs it, and the rebuild's
    # row stays locked only while the statement runs, not for a COMMIT's round trip more
    with one_statement(engine) as db:
        built_at = db.execute(_REQUEST, {"key": name, "now": now, "lost": now - LOST_AFTER}).first()
    if built_at is None:
        return None
    if built_at[0] is None or urgent:
        return 0.0
    spacing = max(gap_seconds, min(MAX_SPACING, SPACING * float(built_at[1])))
    return max(0.0, spacing - float((now - built_at[0]).total_seconds()))


def claim(engine: Engine, name: str) -> None:
    """The rebuild takes the request: committed before it reads anything (see above)."""
    with one_statement(engine) as db:
        db.execute(update(rebuilds).where(rebuilds.c.name == name).values(due_at=None))


def serialise(db: Connection, name: str) -> None:
    """Hold the rebuild's own lock until the transaction ends: one rebuild of `name` at a time,
    each reading after the last one committed. (SQLite's write transactions already run one
    at a time: BEGIN IMMEDIATE.)"""
    if db.dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_lock_key(name))))


def _lock_key(name: str) -> int:
    """A stable 64-bit key for PostgreSQL's advisory locks, apart from any other user's."""
    digest = hashlib.sha256(f"nashr rebuild {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def done(engine: Engine, name: str, seconds: float) -> None:
    """When it ran and how long it took, for the spacing: after the rebuild's commit, so the
    rebuild itself never holds the row that requests update."""
    with one_statement(engine) as db:
        db.execute(
            update(rebuilds)
            .where(rebuilds.c.name == name)
            .values(built_at=utcnow(), runs=rebuilds.c.runs + 1, seconds=seconds)
        )


def overdue(engine: Engine, older_than: datetime) -> list[str]:
    """Rebuilds asked for before `older_than` that have not run: their message was lost."""
    with reading(engine) as db:
        rows = db.execute(select(rebuilds.c.name).where(rebuilds.c.due_at < older_than)).all()
    return [row.name for row in rows]
