"""The published site as readers get it: files as written, pages with the current ticker."""

from __future__ import annotations

from pathlib import Path

from fastapi.concurrency import run_in_threadpool
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pipeline.ticker import render_ticker_html, with_ticker


class PublishedSite(StaticFiles):
    """Pages are stored without headlines: the ticker goes in here, so a headline that changed
    or was taken down leaves every page at once, whenever the page itself was written."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        self.root = directory

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if not isinstance(response, FileResponse) or not str(response.path).endswith(".html"):
            return response
        page = await run_in_threadpool(_page_with_ticker, Path(response.path), self.root)
        return HTMLResponse(page, status_code=response.status_code)


def _page_with_ticker(page: Path, root: Path) -> str:
    try:
        fragment = (root / "ticker.html").read_text("utf-8")
    except FileNotFoundError:
        fragment = render_ticker_html([])
    return with_ticker(page.read_text("utf-8"), fragment)
