"""The site in a real browser: Debian's chromium, driven by playwright, against `nashr up` as an
operator starts it. Readers are told apart as production tells them, by the address the proxy
puts in X-Forwarded-For. Screenshots of the article and home pages are kept in
tests/e2e/.artifacts/."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services import wait_until
from tests.site_server import NASHR, free_port, require_tool

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container: chromium's sandbox needs user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED = json.loads((ROOT / "examples" / "seed-article.json").read_text())
PICTURE = (  # a 1x1 PNG, served for the article's picture: the network is not reached
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
THANKS = "شكرا على الإبلاغ! سيتم حجب هذه الصورة تلقائيا عندما يتم الإبلاغ عنها من طرف عدة أشخاص."


@dataclass
class Up:
    url: str
    token: str
    data_dir: Path

    def submit(self, payload: dict[str, Any]) -> int:
        answer = httpx.post(
            f"{self.url}/articles",
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        return int(answer.json()["id"])

    def status(self, article_id: int) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.url}/articles/{article_id}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        return dict(answer.json())

    def wait_live(self, article_id: int, timeout: float = 60) -> float:
        """Poll until the article is live; returns when it was first seen live."""

        def live() -> float | None:
            return time.monotonic() if self.status(article_id)["status"] == "live" else None

        return wait_until(live, timeout, f"article {article_id} to go live")


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    require_tool(CHROMIUM, "chromium")
    data_dir = tmp_path_factory.mktemp("up")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
    env |= {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_SITE_URL": f"http://127.0.0.1:{port}",
        "NASHR_SWEEP_INTERVAL_SECONDS": "1",
        "NASHR_STUCK_AFTER_SECONDS": "5",
        "NASHR_LISTING_GAP_SECONDS": "0",
    }
    log = (data_dir / "up.log").open("ab")
    process = subprocess.Popen(
        [NASHR, "up", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=data_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url) or None, 60, "nashr up to answer /health")
        made = subprocess.run(
            [NASHR, "token", "create", "--name", "e2e-editor", "--role", "editor"],
            env=env,
            cwd=data_dir,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        yield Up(url, made.stdout.splitlines()[-1], data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def browser(up: Up) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def reader(browser: Any, address: str) -> Any:
    """A reader behind the proxy: their own browser context, their address in the header nginx
    sets, and the article's picture served locally."""
    context = browser.new_context(
        extra_http_headers={"X-Forwarded-For": address}, viewport={"width": 390, "height": 844}
    )
    context.route(
        "https://news.example/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=PICTURE),
    )
    return context


def test_an_article_in_the_browser_from_reading_to_reports(up: Up, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    article_id = up.submit(SEED | {"title": "وفد سوس في المتصفح"})
    up.wait_live(article_id)
    page_url = f"{up.url}/news/{article_id}.html"

    first = reader(browser, "203.0.113.10")
    page = first.new_page()
    page.goto(page_url)

    # It reads right to left, links to its source, and shows its picture
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    source = page.get_by_role("link", name="انقر هنا لقراءة الخبر من مصدره")
    assert source.get_attribute("href") == "https://news.example/souss-delegation-belgium-france"
    assert page.locator("article img").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)

    # When the reader reports the picture, they are thanked
    page.get_by_role("button", name="الإبلاغ عن الصورة").click()
    notice = page.get_by_role("status")
    notice.wait_for(state="visible", timeout=5000)
    assert notice.inner_text() == THANKS

    # And once two more readers, behind the proxy from other addresses, have reported it
    for address in ("198.51.100.20", "192.0.2.30"):
        other = reader(browser, address)
        theirs = other.new_page()
        theirs.goto(page_url)
        theirs.get_by_role("button", name="الإبلاغ عن الصورة").click()
        theirs.get_by_role("status").wait_for(state="visible", timeout=5000)
        other.close()

    # Then the picture is gone on reload, within a sweep or two
    def gone() -> bool | None:
        page.reload()
        return page.locator("article img").count() == 0 or None

    wait_until(gone, 30, "the reported picture to leave the page")
    assert page.locator("button.report-image").count() == 0
    first.close()


def test_an_open_page_gets_a_new_headline_live(up: Up, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    up.wait_live(up.submit(SEED | {"title": "خبر أول على الصفحة الرئيسية"}))
    context = reader(browser, "203.0.113.40")
    page = context.new_page()
    page.goto(up.url + "/")
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    # When a new article goes live while the page is open
    headline = "عاجل: خبر يصل إلى الصفحة المفتوحة"
    article_id = up.submit(SEED | {"title": headline, "breaking": True})
    live_at = up.wait_live(article_id)

    # Then its headline is in the page's ticker within a second, with no reload
    page.wait_for_function(
        "text => document.getElementById('ticker').textContent.includes(text)",
        arg=headline,
        timeout=10_000,
    )
    assert time.monotonic() - live_at < 1.0
    ticker_box = page.locator("#ticker").bounding_box()
    assert ticker_box is not None and ticker_box["width"] <= 390
    context.close()
