"""Taking an article down: the database moves at once, and every output with it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipeline.domain.models import SiteInfo, article_json_path, article_path
from pipeline.domain.outputs import HTML, JSON, Output
from pipeline.render.pages import render_gone
from pipeline.store.takedown import TakedownQueries


@dataclass(frozen=True)
class TakenDown:
    versions: int
    """Versions that moved to `unpublished` (0: nothing was left to take down)."""
    rebuild_delay: float | None
    """When the site's listings must be rebuilt now, the delay to send the rebuild with."""


class Takedowns:
    def __init__(self, articles: TakedownQueries, site: SiteInfo) -> None:
        self.articles = articles
        self.site = site

    def unpublish(self, article_id: int) -> TakenDown | None:
        """Every version stops; the page and JSON answer 410; the listings are due for a
        rebuild at once (no gap: a takedown is often a legal order). None: no such article."""
        gone = [
            Output.text(
                article_path(article_id), render_gone(self.site), HTML, status=410,
                ticker_slot=True,
            ),
            Output.text(
                article_json_path(article_id),
                json.dumps({"id": article_id, "status": "gone"}) + "\n",
                JSON,
                status=410,
            ),
        ]  # fmt: skip
        found = self.articles.unpublish(article_id, gone)
        if found is None:
            return None
        moved, delay = found
        return TakenDown(moved, delay)
