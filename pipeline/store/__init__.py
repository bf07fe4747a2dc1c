"""Persistence: the database (the one place SQLAlchemy is used) and the published files."""

from pipeline.store.articles import Accepted, ArticleStore, VersionRecord
from pipeline.store.database import connect

__all__ = ["Accepted", "ArticleStore", "VersionRecord", "connect"]
