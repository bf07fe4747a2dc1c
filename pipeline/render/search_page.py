"""The search results page and snippets: every word from an article or a query escaped, only
the `<mark>` around matched words is markup."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from pipeline.domain.models import SECTION_LABELS, SiteInfo
from pipeline.domain.search import SearchPage, Segment
from pipeline.render.pages import _render, absolute_url


def snippet_html(segments: Iterable[Segment]) -> str:
    """Escaped text with the matched words in `<mark>`."""
    return "".join(
        f"<mark>{escape(s.text)}</mark>" if s.marked else str(escape(s.text)) for s in segments
    )


def render_search_page(page: SearchPage, site: SiteInfo) -> str:
    """Right-to-left results for a query: titles, dates, marked snippets, pages."""
    results = [
        {
            "result": result,
            "snippet": Markup(snippet_html(result.snippet)),
            "section": SECTION_LABELS.get(result.section or "", ""),
        }
        for result in page.results
    ]
    return _render(
        "search.html",
        page=page,
        results=results,
        site=site,
        canonical=absolute_url(site, "/search"),
    )
