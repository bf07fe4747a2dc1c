"""The published site as readers get it, from the database: any API process serves all of it.

Stored outputs come as written, pages with the current ticker put into their slot; tag pages and
feeds are rendered on the first read after they change (`pipeline/services/pages.py`). Every
answer carries an ETag, Last-Modified and Cache-Control, a conditional request gets 304, and a
client that accepts gzip gets it (compressed once per ETag per process).
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from pipeline.domain.errors import OutputUnavailable
from pipeline.domain.models import SiteInfo
from pipeline.domain.outputs import HTML, Output, etag_of
from pipeline.render.pages import render_not_found, render_ticker_page, render_unavailable
from pipeline.render.ticker import render_ticker_html, with_ticker
from pipeline.services.listings import TICKER_FRAGMENT
from pipeline.services.pages import ListingPages
from pipeline.services.sitemaps import Sitemaps
from pipeline.store.outputs import OutputStore

router = APIRouter()
_COMPRESSIBLE = ("text/", "application/json", "application/rss", "application/atom",
                 "application/feed", "application/xml")  # fmt: skip
MIN_GZIP_BYTES = 1024
CACHE_CONTROL = "public, max-age=10"
"""Short: a takedown must leave caches within a sweep; revalidation with the ETag is cheap."""


@dataclass(frozen=True)
class Served:
    body: bytes
    media_type: str
    status: int
    etag: str
    last_modified: datetime


class _Compressed:
    """gzip bodies by ETag, bounded in bytes: each version of an output is compressed once."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, etag: str, body: bytes) -> bytes:
        found = self.items.get(etag)
        if found is not None:
            self.items.move_to_end(etag)
            return found
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        self.items[etag] = packed
        self.size += len(packed)
        while self.size > self.max_bytes and self.items:
            _, dropped = self.items.popitem(last=False)
            self.size -= len(dropped)
        return packed


class PublishedSite:
    def __init__(
        self,
        outputs: OutputStore,
        pages: ListingPages,
        sitemaps: Sitemaps | None = None,
        site: SiteInfo | None = None,
    ) -> None:
        self.outputs = outputs
        self.pages = pages
        self.sitemaps = sitemaps
        self.site = site or SiteInfo()
        self.compressed = _Compressed()

    def find(self, path: str) -> Served | None:
        if not path.isprintable():  # no output's path holds a control character (nor can PG's)
            return None
        if path == "/" or path.endswith("/"):
            path += "index.html"
        output = self.pages.find(path)
        if output is None and self.sitemaps is not None:
            output = self.sitemaps.find(path)
        if output is not None:
            return self._made_now(output)
        rows = self.outputs.get(path, TICKER_FRAGMENT)
        row = rows.get(path)
        if row is None:
            return None
        served = Served(row.body, row.media_type, row.status, row.etag, row.updated_at)
        if path == TICKER_FRAGMENT:  # opened on its own, the fragment comes as a document
            page = render_ticker_page(row.body.decode(), self.site).encode()
            return replace(served, body=page, etag=etag_of(page))
        if not row.ticker_slot:
            return served
        ticker = rows.get(TICKER_FRAGMENT)
        fragment = ticker.body if ticker else render_ticker_html([]).encode()
        stamp = max(row.updated_at, ticker.updated_at) if ticker else row.updated_at
        return replace(
            served,
            body=with_ticker(row.body.decode(), fragment.decode()).encode(),
            etag=etag_of(row.etag.encode(), ticker.etag.encode() if ticker else b""),
            last_modified=stamp,
        )

    def _made_now(self, output: Output) -> Served:
        """An output rendered on this read: served with its ticker, dated now."""
        stamp = datetime.now(UTC).replace(microsecond=0)
        served = Served(output.body, output.media_type, output.status, output.etag, stamp)
        return self._with_ticker(served) if output.ticker_slot else served

    def _with_ticker(self, served: Served) -> Served:
        rows = self.outputs.get(TICKER_FRAGMENT)
        ticker = rows.get(TICKER_FRAGMENT)
        fragment = ticker.body.decode() if ticker else render_ticker_html([])
        return replace(
            served,
            body=with_ticker(served.body.decode(), fragment).encode(),
            etag=etag_of(served.etag.encode(), ticker.etag.encode() if ticker else b""),
        )

    def response(self, request: Request, served: Served) -> Response:
        etag = f'"{served.etag}"'
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(served.last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": CACHE_CONTROL,
            "Vary": "Accept-Encoding",
        }
        if served.status == 200 and _not_modified(request, etag, served.last_modified):
            return Response(status_code=304, headers=headers)
        body = served.body
        compressible = served.media_type.startswith(_COMPRESSIBLE)
        if compressible and len(body) >= MIN_GZIP_BYTES and _accepts_gzip(request):
            body = self.compressed.get(served.etag, body)
            headers["Content-Encoding"] = "gzip"
        return Response(body, status_code=served.status, media_type=served.media_type,
                        headers=headers)  # fmt: skip


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is not None:
        return etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")] or (
            wanted.strip() == "*"
        )
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= moment


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


@router.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def serve(path: str, request: Request) -> Response:
    site: PublishedSite = request.app.state.site
    try:
        served = await run_in_threadpool(site.find, "/" + path)
    except OutputUnavailable:
        page = render_unavailable(request.app.state.site_info).encode()
        return Response(page, status_code=503, media_type=HTML, headers={"Retry-After": "60"})
    if served is None:
        page = render_not_found(request.app.state.site_info).encode()
        served = Served(page, HTML, 404, etag_of(page), datetime.now(UTC))
    return site.response(request, served)
