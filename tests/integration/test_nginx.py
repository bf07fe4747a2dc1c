"""deploy/nginx.conf run by a real nginx in front of a real API: what readers get through it."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.render.policy import content_security_policy
from tests.services import wait_until
from tests.site_server import SiteServer, free_port, require_tool, serving_sample_site

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SiteServer]]:
    require_tool(NGINX, "nginx")
    work = tmp_path_factory.mktemp("nginx")
    with serving_sample_site(tmp_path_factory.mktemp("site")) as site:
        port = free_port()
        server = (ROOT / "deploy" / "nginx.conf").read_text()
        server = server.replace("server api:8000;", f"server {site.url.removeprefix('http://')};")
        server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
        server = server.replace("/var/cache/nginx/nashr", str(work / "cache"))
        (work / "logs").mkdir()
        (work / "site.conf").write_text(server)
        (work / "nginx.conf").write_text(
            "daemon off;\nuser root;\npid nginx.pid;\nerror_log logs/error.log;\nevents {}\n"
            f"http {{\n include {MIME_TYPES};\n default_type application/octet-stream;\n"
            " access_log off;\n"
            f" client_body_temp_path {work}/tmp-body; proxy_temp_path {work}/tmp-proxy;\n"
            f" fastcgi_temp_path {work}/tmp-f; uwsgi_temp_path {work}/tmp-u;"
            f" scgi_temp_path {work}/tmp-s;\n include {work}/site.conf;\n}}\n"
        )
        checked = subprocess.run(
            [NGINX, "-t", "-p", str(work), "-c", str(work / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen(
            [NGINX, "-p", str(work), "-c", str(work / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _answers(url) or None, 20, "nginx to answer")
            yield url, site
        finally:
            process.terminate()
            process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


EXPECTED = {
    "/": "text/html; charset=utf-8",
    "/news/2.html": "text/html; charset=utf-8",
    "/feeds/rss.xml": "application/rss+xml; charset=utf-8",
    "/feeds/atom.xml": "application/atom+xml; charset=utf-8",
    "/feeds/feed.json": "application/feed+json; charset=utf-8",
    "/feeds/sections/sport.xml": "application/rss+xml; charset=utf-8",
    "/feeds/sections/sport.json": "application/feed+json; charset=utf-8",
    "/sitemap.xml": "application/xml; charset=utf-8",
    "/news-sitemap.xml": "application/xml; charset=utf-8",
    "/robots.txt": "text/plain; charset=utf-8",
    "/ticker.html": "text/html; charset=utf-8",
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_every_output_keeps_its_type_with_charset_and_cache_control(
    proxied: tuple[str, SiteServer], path: str
) -> None:
    url, _ = proxied
    response = httpx.get(url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].lower() == EXPECTED[path]
    assert response.headers["cache-control"] == "public, max-age=10"
    assert response.headers.get("etag")


def test_feeds_are_compressed_and_revalidated(proxied: tuple[str, SiteServer]) -> None:
    url, _ = proxied
    with httpx.Client() as client:
        request = client.build_request("GET", url + "/feeds/rss.xml")
        request.headers["accept-encoding"] = "gzip"
        raw = client.send(request, stream=True)
        body = b"".join(raw.iter_raw())
        assert raw.headers["content-encoding"] == "gzip"
        assert b"<rss" in gzip.decompress(body)
        again = client.get(url + "/feeds/rss.xml", headers={"if-none-match": raw.headers["etag"]})
        assert again.status_code == 304


def test_a_taken_down_article_is_gone_through_nginx_too(proxied: tuple[str, SiteServer]) -> None:
    url, site = proxied
    response = httpx.get(f"{url}/news/{site.taken_down.id}.html")
    assert response.status_code == 410
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "لم يعد هذا الخبر متاحا" in response.text
    assert response.headers["cache-control"]


@pytest.mark.parametrize("path", ["/", "/news/2.html", "/feeds/rss.xml", "/health", "/nothing"])
def test_every_answer_through_nginx_carries_the_security_headers_once(
    proxied: tuple[str, SiteServer], path: str
) -> None:
    """nginx's own headers replace the API's nosniff and referrer policy (never doubled) and
    add a floor policy; on pages the API's stricter policy, with the scripts' hashes, stays."""
    url, _ = proxied
    response = httpx.get(url + path)
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("referrer-policy") == ["strict-origin-when-cross-origin"]
    policies = response.headers.get_list("content-security-policy")
    assert any("frame-ancestors 'none'" in policy for policy in policies)
    if response.headers["content-type"].startswith("text/html"):
        assert content_security_policy() in policies
