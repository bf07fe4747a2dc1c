"""Every XSS payload of the corpus, in an article and in the query, through the search page
and the JSON snippet: nothing that runs comes out (pure: validate, index text, render)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.domain.models import SiteInfo, Submission, article_path
from pipeline.domain.search import SearchPage, SearchResult
from pipeline.domain.validate import validate
from pipeline.enrich.search_terms import SearchAnalyser
from pipeline.render.search_page import render_search_page, snippet_html
from tests.security.inert import assert_inert_fragment, assert_inert_page
from tests.security.pure import own_scripts
from tests.security.xss import Payload, load_corpus

PAYLOADS = load_corpus()


@pytest.fixture(scope="module")
def analyser() -> SearchAnalyser:
    return SearchAnalyser.load()


def results_page(analyser: SearchAnalyser, payload: Payload, query: str) -> tuple[str, str]:
    submission = Submission(
        title=f"خبر {payload.text} عاجل",
        body=f"مطر في الرباط {payload.text} عاجل اليوم",
        source_url="https://news.example/rain",
        source_name="وكالة",
    )
    clean = validate(submission)
    document = analyser.document(1, 1, clean.title, clean.paragraphs, "society")
    parsed = analyser.query(query)
    snippet = tuple(analyser.snippet(document.excerpt, parsed))
    result = SearchResult(1, clean.title, article_path(1), datetime.now(UTC), "society", snippet)
    page = SearchPage(query=parsed, total=1, page=1, results=[result])
    return render_search_page(page, SiteInfo()), snippet_html(snippet)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_payloads_in_articles_and_queries_stay_inert(
    analyser: SearchAnalyser, payload: Payload
) -> None:
    for query in ("الرباط عاجل", payload.text, f"«{payload.text}» الرباط"):
        page, snippet = results_page(analyser, payload, query)
        assert_inert_page(page, f"{payload.name}: search page", own_scripts())
        assert_inert_fragment(snippet or "<span></span>", f"{payload.name}: snippet")
