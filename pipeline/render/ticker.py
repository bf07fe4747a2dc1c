"""The headline ticker: latest headlines, breaking first, never a blank slot or a repeat."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from markupsafe import Markup

from pipeline.domain.models import TickerEntry, article_path
from pipeline.domain.moments import as_utc
from pipeline.render.json_text import html_safe

TICKER_SLOT = "<!--nashr:ticker-->"
"""Where a stored page takes the ticker: the headlines are put in as the page is served, so no
page ever keeps one that has changed or been taken down since it was written."""

_WHITESPACE = re.compile(r"\s+")
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def _collapse(text: str) -> str:
    """Readers see one space between words, whatever the editor typed."""
    return _WHITESPACE.sub(" ", text).strip()


def _headline_key(headline: str) -> str:
    """Two headlines that read the same to a reader must collide, whatever their spelling."""
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", headline))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})
    text = _TASHKEEL.sub("", text).translate(_LETTERS).casefold()
    return _collapse(text)


class Headline(Protocol):
    """What the ticker needs of a live article (a listing entry or the article itself)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def breaking(self) -> bool: ...
    @property
    def published_at(self) -> datetime: ...


def build_ticker(
    candidates: Sequence[Headline], size: int = 20, listed_order: bool = False
) -> list[TickerEntry]:
    """The seed's ticker shows blanks and repeats; ours picks the latest distinct headlines.
    `listed_order`: the candidates come newest first as the listings order them (an article
    republished by a job comes first), so only breaking news is moved ahead."""
    newest_first = (
        list(candidates)
        if listed_order
        else sorted(candidates, key=lambda a: as_utc(a.published_at), reverse=True)
    )
    ordered = sorted(newest_first, key=lambda a: not a.breaking)
    entries: list[TickerEntry] = []
    seen_keys: set[str] = set()
    seen_ids: set[int] = set()
    for article in ordered:
        if len(entries) >= size:
            break
        headline = _collapse(article.title)
        key = _headline_key(headline)
        if not key or key in seen_keys or article.id in seen_ids:
            continue
        seen_keys.add(key)
        seen_ids.add(article.id)
        entries.append(
            TickerEntry(
                id=article.id,
                headline=headline,
                url=article_path(article.id),
                published_at=article.published_at,
                breaking=article.breaking,
            )
        )
    return entries


def render_ticker_json(entries: list[TickerEntry]) -> str:
    """Front ends poll this; it stays safe even if someone inlines it in a <script>."""
    rows = [
        {
            "id": entry.id,
            "headline": entry.headline,
            "url": article_path(entry.id),
            "published_at": as_utc(entry.published_at).isoformat(),
            "breaking": entry.breaking,
        }
        for entry in entries
    ]
    return html_safe(json.dumps(rows, ensure_ascii=False, sort_keys=True))


def _local_href(url: str) -> str:
    """Ticker links stay on the site: a site path, never another scheme or host."""
    return url if url.startswith("/") and not url.startswith("//") else "#"


def render_ticker_html(entries: list[TickerEntry]) -> str:
    """The fragment pages embed and live updates swap in; every headline is escaped."""
    items = [
        Markup('<li{cls}><a href="{href}">{headline}</a></li>').format(
            cls=Markup(' class="breaking"') if entry.breaking else "",
            href=_local_href(entry.url),
            headline=entry.headline,
        )
        for entry in entries
    ]
    body = Markup("").join(items)
    return str(Markup('<ul class="ticker" dir="rtl">{items}</ul>').format(items=body))


def with_ticker(page: str, fragment: str) -> str:
    """A stored page as readers get it: the current ticker in its slot."""
    return page.replace(TICKER_SLOT, fragment, 1)
