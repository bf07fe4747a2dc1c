"""GET /search (the results page) and GET /search.json: public, rate-limited per client.

Whatever a reader types gets an answer: the query is cut to its cap, operators are plain
characters, a query of only stop words finds nothing and says why; only malformed filters
(a page that is not a number, a date that is not a date, an unknown section) are 422.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from ingest.errors import Refused, problem_responses
from pipeline.domain.models import SECTION_LABELS
from pipeline.domain.readers import reader_address
from pipeline.domain.search import MAX_PAGE, SearchFilters, SearchPage
from pipeline.enrich.arabic import clean_label, slugify
from pipeline.render.pages import iso_datetime
from pipeline.render.search_page import render_search_page, snippet_html
from pipeline.render.ticker import render_ticker_html, with_ticker
from pipeline.services.listings import TICKER_FRAGMENT

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
"""A takedown must leave results at once: no cache keeps an answer."""
MAX_PARAM_CHARS = 1_000


def _limit(request: Request) -> None:
    client = reader_address(request.client.host if request.client else "unknown")
    wait = request.app.state.search_limiter.allow(client)
    if wait:
        raise Refused(
            429,
            [{"field": "client", "reason": "too many searches; try again later"}],
            headers={"Retry-After": str(math.ceil(wait))},
        )


def _moment(field: str, value: str | None, end_of_day: bool) -> datetime | None:
    """A date (the whole day) or an ISO 8601 time; naive UTC like the stored times."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(
            422, [{"field": field, "reason": "not a date (YYYY-MM-DD) or an ISO 8601 time"}]
        ) from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _filters(
    section: str | None, tag: str | None, since: str | None, until: str | None
) -> SearchFilters:
    if section is not None and section.strip() and section.strip() not in SECTION_LABELS:
        names = ", ".join(SECTION_LABELS)
        raise Refused(422, [{"field": "section", "reason": f"unknown section; one of {names}"}])
    slug = slugify(clean_label(tag[:MAX_PARAM_CHARS])) if tag and tag.strip() else None
    if tag and tag.strip() and not slug:
        raise Refused(422, [{"field": "tag", "reason": "no tag has this name"}])
    return SearchFilters(
        section=section.strip() if section and section.strip() else None,
        tag=slug,
        since=_moment("from", since, end_of_day=False),
        until=_moment("to", until, end_of_day=True),
    )


async def _find(request: Request, q: str, page: int, filters: SearchFilters) -> SearchPage:
    _limit(request)
    found: SearchPage = await run_in_threadpool(
        request.app.state.services.search.find, q, page, filters
    )
    return found


@router.get("/search.json", responses=problem_responses(422, 429, 503))
async def search_json(
    request: Request,
    q: Annotated[str, Query(max_length=10 * MAX_PARAM_CHARS)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    section: Annotated[str | None, Query(max_length=MAX_PARAM_CHARS)] = None,
    tag: Annotated[str | None, Query(max_length=MAX_PARAM_CHARS)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=64)] = None,
) -> JSONResponse:
    """Live articles matching `q`, the most relevant first (ties: the newest), ten a page."""
    found = await _find(request, q, page, _filters(section, tag, since, until))
    site = request.app.state.site_info
    body: dict[str, object] = {
        "query": found.query.text,
        "total": found.total,
        "page": found.page,
        "results": [
            {
                "id": result.id,
                "title": result.title,
                "url": site.base_url.rstrip("/") + result.url,
                "published_at": iso_datetime(result.published_at),
                "section": result.section,
                "snippet": snippet_html(result.snippet),
            }
            for result in found.results
        ],
    }
    if found.query.notice:
        body["notice"] = found.query.notice
    return JSONResponse(body, headers=NO_STORE)


@router.get("/search", response_class=HTMLResponse, responses=problem_responses(429, 503))
async def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=10 * MAX_PARAM_CHARS)] = "",
    page: Annotated[str, Query(max_length=64)] = "1",
) -> HTMLResponse:
    """The results page readers reach from the site header's search box."""
    number = int(page) if page.strip().isdigit() and len(page.strip()) < 6 else 1
    found = await _find(request, q, max(1, min(number, MAX_PAGE)), SearchFilters())
    html = render_search_page(found, request.app.state.site_info)
    rows = await run_in_threadpool(request.app.state.services.outputs.get, TICKER_FRAGMENT)
    ticker = rows.get(TICKER_FRAGMENT)
    html = with_ticker(html, ticker.body.decode() if ticker else render_ticker_html([]))
    return HTMLResponse(html, headers=NO_STORE)
