"""Readers' reports of images: the only thing readers write, and what hides an image.

One report per reader per image: a reader is a hash of the client address, so the table holds
no address. When distinct readers reach the threshold the image is marked hidden and due for
a republish, which the sweeper does; rendering leaves hidden images out. The tables sit on the
same metadata as `pipeline/store/schema.py` (migrations 0002 and 0004 create them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.store.database import reading, transaction
from pipeline.store.schema import IS_LIVE_VERSION, article_versions, articles, metadata

image_reports = Table(
    "image_reports",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("image_index", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("hidden", Boolean, nullable=False, server_default=false()),
    Column("republish_due", Boolean, nullable=False, server_default=false()),
    Column("image_url", Text, nullable=True),
)
"""No foreign key: a report never blocks, nor is blocked by, the article's own writes."""
Index("ix_image_reports_republish_due", image_reports.c.republish_due)

image_report_readers = Table(
    "image_report_readers",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("image_index", Integer, primary_key=True),
    Column("reader", String(32), primary_key=True),
)
"""Who has reported an image already, as a hash: a second report from them counts for nothing."""


deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
)
"""Made once by migration 0013; the reader hash is keyed with `reader-hash`."""


def _reader_secret(engine: Engine) -> bytes:
    with transaction(engine) as db:
        value = db.execute(
            select(deployment_secrets.c.value).where(deployment_secrets.c.name == "reader-hash")
        ).scalar_one()
    return bytes.fromhex(value)


@dataclass(frozen=True)
class Report:
    """What one report did: the image's count of distinct readers, and whether it is hidden."""

    count: int
    counted: bool
    """False when this reader had reported this image before."""
    hidden: bool


@dataclass(frozen=True)
class ImageReports:
    count: int
    hidden: bool


class ReportStore:
    """Count reports of images readers can see: the live version's images, by their index."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._secret: bytes | None = None

    def reader_secret(self) -> bytes:
        """This deployment's key for reader hashes (every API process reads the same one).

        Read on first use, not at start-up: an API whose database is down still starts and
        answers 503, and the key never changes once made, so one read per process is enough.
        """
        if self._secret is None:
            self._secret = _reader_secret(self.engine)
        return self._secret

    def report(
        self, article_id: int, image_index: int, reader: str, threshold: int
    ) -> Report | None:
        """Count one reader's report; hide the image once `threshold` readers have reported it.

        None when no live article has that image. All in one transaction: the reader, the
        count and the hiding are written together or not at all.
        """
        with transaction(self.engine) as db:
            content = db.execute(
                select(article_versions.c.content)
                .join(articles, IS_LIVE_VERSION)
                .where(articles.c.id == article_id)
            ).scalar_one_or_none()
            url = _image_url(content, image_index)
            if url is None:
                return None
            dialect = postgresql if db.dialect.name == "postgresql" else sqlite
            key = {"article_id": article_id, "image_index": image_index}
            _forget_if_replaced(db, key, url)
            first_time = db.execute(
                dialect.insert(image_report_readers)
                .values(**key, reader=reader)
                .on_conflict_do_nothing()
                .returning(image_report_readers.c.reader)
            ).first()
            if first_time is None:
                before = db.execute(
                    select(image_reports.c.count, image_reports.c.hidden).where(_is(key))
                ).one()
                return Report(int(before[0]), counted=False, hidden=bool(before[1]))
            count: int = db.execute(
                dialect.insert(image_reports)
                .values(**key, count=1, image_url=url)
                .on_conflict_do_update(
                    index_elements=["article_id", "image_index"],
                    set_={"count": image_reports.c.count + 1, "image_url": url},
                )
                .returning(image_reports.c.count)
            ).scalar_one()
            hidden = count >= threshold
            if hidden:
                db.execute(
                    update(image_reports)
                    .where(_is(key), image_reports.c.hidden.is_(False))
                    .values(hidden=True, republish_due=True)
                )
        return Report(count, counted=True, hidden=hidden)

    def counts(self, article_id: int) -> dict[int, int]:
        """Distinct readers who reported each image of one article."""
        return {index: found.count for index, found in self.summary(article_id).items()}

    def summary(self, article_id: int) -> dict[int, ImageReports]:
        """Reports and hiding per image index of one article, for editors."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(image_reports.c.image_index, image_reports.c.count, image_reports.c.hidden)
                .where(image_reports.c.article_id == article_id)
                .order_by(image_reports.c.image_index)
            ).all()
        return {int(index): ImageReports(int(count), bool(hidden)) for index, count, hidden in rows}

    def due_for_republish(self, limit: int) -> list[tuple[int, int]]:
        """(article, image) pairs hidden since the article's files were last written."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(image_reports.c.article_id, image_reports.c.image_index)
                .where(image_reports.c.republish_due.is_(True))
                .order_by(image_reports.c.article_id, image_reports.c.image_index)
                .limit(limit)
            ).all()
        return [(int(a), int(i)) for a, i in rows]

    def republished(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Mark exactly these as written: an image hidden meanwhile stays due for the next sweep."""
        with transaction(self.engine) as db:
            for article_id, image_index in pairs:
                key = {"article_id": article_id, "image_index": image_index}
                db.execute(update(image_reports).where(_is(key)).values(republish_due=False))

    def show_again(self, article_id: int, image_index: int) -> bool:
        """An editor's override: the image is shown, its reports and readers are forgotten (so
        it takes the threshold again to hide it). False when it was not hidden."""
        key = {"article_id": article_id, "image_index": image_index}
        with transaction(self.engine) as db:
            hidden = db.execute(select(image_reports.c.hidden).where(_is(key))).scalar()
            if hidden:
                _forget(db, key)
        return bool(hidden)


def hidden_images(db: Connection, article_ids: Iterable[int]) -> dict[int, dict[int, str | None]]:
    """Hidden images per article, index -> the URL readers reported there, for the views: an
    image hides only while the same URL is still in that place."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(
            image_reports.c.article_id, image_reports.c.image_index, image_reports.c.image_url
        ).where(image_reports.c.article_id.in_(ids), image_reports.c.hidden.is_(True))
    ).all()
    found: dict[int, dict[int, str | None]] = {}
    for article_id, image_index, url in rows:
        found.setdefault(int(article_id), {})[int(image_index)] = url
    return found


def _forget_if_replaced(db: Connection, key: Mapping[str, int], url: str) -> None:
    """A newer version put another image in this place: its reports were about the old one."""
    stored = db.execute(select(image_reports.c.image_url).where(_is(key))).first()
    if stored is not None and stored[0] not in (None, url):
        _forget(db, key, image_url=url)


def _forget(db: Connection, key: Mapping[str, int], **values: Any) -> None:
    """Start an image's reports over: no readers, no count, shown, nothing due."""
    db.execute(
        image_report_readers.delete().where(
            image_report_readers.c.article_id == key["article_id"],
            image_report_readers.c.image_index == key["image_index"],
        )
    )
    db.execute(
        update(image_reports)
        .where(_is(key))
        .values(count=0, hidden=False, republish_due=False, **values)
    )


def _is(key: Mapping[str, int]) -> Any:
    return (image_reports.c.article_id == key["article_id"]) & (
        image_reports.c.image_index == key["image_index"]
    )


def _image_url(content: Any, index: int) -> str | None:
    """The URL of image `index` of a stored CleanArticle; None when there is no such image."""
    images = content.get("images") if isinstance(content, dict) else None
    if not isinstance(images, list) or not 0 <= index < len(images):
        return None
    image = images[index]
    url = image.get("url") if isinstance(image, dict) else None
    return url if isinstance(url, str) else None
