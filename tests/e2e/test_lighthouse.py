"""Lighthouse (npm `lighthouse`, pinned in tools/) driving Debian's chromium against the served
site: accessibility, best practices and SEO at least 95, performance at least 90, on the
article, home and tag pages. The reports are kept in tests/e2e/.artifacts/."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.site_server import SiteServer, free_port, require_tool, serving_sample_site

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "tools" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
PICTURE = ROOT / "tests" / "fixtures" / "picture.jpg"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync --no-first-run"
)
MINIMUM = {"performance": 90, "accessibility": 95, "best-practices": 95, "seo": 95}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """The sample site, its pictures served by a second local server as a CDN would."""
    require_tool(LIGHTHOUSE, "Lighthouse (npm lighthouse)")
    require_tool(CHROMIUM, "chromium")
    pictures = tmp_path_factory.mktemp("pictures")
    for n in range(2):
        shutil.copy(PICTURE, pictures / f"{n}.jpg")
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(pictures))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with serving_sample_site(
            tmp_path_factory.mktemp("site"), 8, image_base=f"http://127.0.0.1:{port}"
        ) as served:
            yield served
    finally:
        server.shutdown()
        server.server_close()


def scores(url: str, name: str) -> dict[str, int]:
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"lighthouse-{name}.json"
    ran = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            f"--output-path={report}",
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
            "--only-categories=performance,accessibility,best-practices,seo",
        ],
        env=os.environ | {"CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    categories = json.loads(report.read_text())["categories"]
    return {key: round(value["score"] * 100) for key, value in categories.items()}


@pytest.mark.parametrize("name", ["article", "home", "tag"])
def test_lighthouse_scores(site: SiteServer, name: str) -> None:
    path = {
        "article": f"/news/{site.articles[-1].id}.html",
        "home": "/",
        "tag": f"/tags/{quote('المغرب')}.html",
    }[name]

    found = scores(site.url + path, name)

    print(f"lighthouse {name}: {found}")
    assert {key: found[key] >= floor for key, floor in MINIMUM.items()} == dict.fromkeys(
        MINIMUM, True
    ), found
