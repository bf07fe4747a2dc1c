"""The published site checked from outside with the tools readers' software is judged by: the
Nu HTML Checker on every kind of page, feedparser and the W3C feed rules on every feed, the
sitemaps protocol on every sitemap, and what link previews and search engines read."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import httpx
import pytest
from babel.dates import get_month_names
from defusedxml import ElementTree

from pipeline.domain.models import SECTION_LABELS
from tests.site_server import SiteServer, require_tool, serving_sample_site

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = "/usr/bin/java"
SHARED = quote("المغرب")
GONE_TAG = quote("وسم-0")
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    with serving_sample_site(tmp_path_factory.mktemp("site"), 8, home_size=4, tag_size=3) as s:
        yield s


def get(site: SiteServer, path: str) -> httpx.Response:
    return httpx.get(site.url + path, timeout=10)


class Links(HTMLParser):
    """Every href and the attributes of every link and meta element."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.heads: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "href" in values:
            self.hrefs.append(values["href"])
        if tag in ("link", "meta"):
            self.heads.append(values | {"element": tag})
        if tag == "script":
            self._script = values

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None

    def meta(self, key: str) -> str:
        found = [
            h.get("content", "") for h in self.heads if key in (h.get("property"), h.get("name"))
        ]
        assert found, f"no meta {key}"
        return found[0]


def older_link(site: SiteServer, path: str) -> str:
    older = [h for h in Links(get(site, path).text).hrefs if re.search(r"/[0-9]+\.html$", h)]
    older = [h for h in older if not h.startswith("/news/")]
    assert older, f"{path} links to no older page"
    return older[0]


def page_kinds(site: SiteServer) -> dict[str, tuple[str, int]]:
    """One of every kind of page: its path and the status it must answer."""
    return {
        "article": (f"/news/{site.articles[-1].id}.html", 200),
        "home": ("/", 200),
        "tag": (f"/tags/{SHARED}.html", 200),
        "section": ("/sections/politics.html", 200),
        "home, older page": (older_link(site, "/"), 200),
        "tag, older page": (older_link(site, f"/tags/{SHARED}.html"), 200),
        "not found": ("/no/such/page.html", 404),
        "taken down": (f"/news/{site.taken_down.id}.html", 410),
        "emptied tag": (f"/tags/{GONE_TAG}.html", 410),
        "ticker": ("/ticker.html", 200),
        "search results": (f"/search?q={SHARED}", 200),
        "search, no query": ("/search", 200),
    }


def test_every_kind_of_page_passes_the_nu_html_checker(site: SiteServer, tmp_path: Path) -> None:
    require_tool(VNU, "the Nu HTML Checker (npm vnu-jar)")
    require_tool(JAVA, "Java")
    files: list[Path] = []
    for kind, (path, status) in page_kinds(site).items():
        response = get(site, path)
        assert response.status_code == status, (kind, path)
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        file = tmp_path / f"{len(files)}.html"
        file.write_bytes(response.content)
        files.append(file)

    checked = subprocess.run(
        [JAVA, "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    errors = [m for m in messages if m["type"] == "error"]
    assert errors == [], errors[:5]
    assert len(files) == len(page_kinds(site))


def feed_paths() -> list[str]:
    return [
        "/feeds/rss.xml",
        "/feeds/atom.xml",
        "/feeds/feed.json",
        f"/feeds/tags/{SHARED}.xml",
        f"/feeds/tags/{SHARED}.atom",
        "/feeds/sections/politics.xml",
        "/feeds/sections/politics.atom",
        "/feeds/sections/politics.json",
    ]


@pytest.mark.parametrize("path", [p for p in feed_paths() if not p.endswith(".json")])
def test_every_feed_parses_cleanly_with_its_picture(site: SiteServer, path: str) -> None:
    response = get(site, path)
    assert response.status_code == 200

    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries
    assert all(entry.get("published_parsed") for entry in parsed.entries)
    assert f"/news/{site.taken_down.id}.html" not in response.text
    pictures = [
        link for entry in parsed.entries for link in entry.get("links", [])
        if link.get("rel") == "enclosure"
    ]  # fmt: skip
    assert len(pictures) == len(parsed.entries)
    assert all(p["type"] == "image/jpeg" and p["href"].startswith("https://") for p in pictures)


@pytest.mark.parametrize("path", [p for p in feed_paths() if not p.endswith(".json")])
def test_xml_feeds_meet_the_w3c_feed_rules(site: SiteServer, path: str) -> None:
    response = get(site, path)
    root = ElementTree.fromstring(response.content)
    url = site.url + path
    if root.tag == "rss":
        channel = root.find("channel")
        assert channel is not None
        selfs = [e for e in channel.findall(f"{ATOM}link") if e.get("rel") == "self"]
        assert [e.get("href") for e in selfs] == [url]
        assert selfs[0].get("type") == response.headers["content-type"].split(";")[0]
        for item in channel.iter("item"):
            published = parsedate_to_datetime(item.findtext("pubDate") or "")
            assert published.tzinfo is not None
            enclosure = item.find("enclosure")
            assert enclosure is not None
            assert enclosure.get("length", "").isdigit() and enclosure.get("type") == "image/jpeg"
            media = item.find(f"{MEDIA}content")
            assert media is not None and media.get("url") == enclosure.get("url")
            assert media.get("medium") == "image"
        assert parsedate_to_datetime(channel.findtext("lastBuildDate") or "").tzinfo
    else:
        selfs = [e for e in root.findall(f"{ATOM}link") if e.get("rel") == "self"]
        assert [e.get("href") for e in selfs] == [url]
        assert RFC3339.match(root.findtext(f"{ATOM}updated") or "")
        for entry in root.iter(f"{ATOM}entry"):
            for name in ("updated", "published"):
                assert RFC3339.match(entry.findtext(f"{ATOM}{name}") or ""), name
            rels = [link.get("rel") for link in entry.findall(f"{ATOM}link")]
            assert rels.count("enclosure") == 1


@pytest.mark.parametrize("path", [p for p in feed_paths() if p.endswith(".json")])
def test_json_feeds_follow_json_feed_1_1(site: SiteServer, path: str) -> None:
    response = get(site, path)
    assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == site.url + path and feed["title"]
    assert feed["items"] and f"/news/{site.taken_down.id}.html" not in response.text
    for item in feed["items"]:
        assert item["id"] and item["url"].startswith(site.url) and item["content_html"]
        assert RFC3339.match(item["date_published"]) and RFC3339.match(item["date_modified"])
        assert item["attachments"][0]["mime_type"] == "image/jpeg"
        assert item["image"] == item["attachments"][0]["url"]


def test_pages_link_the_json_feed_and_not_their_json_twin(site: SiteServer) -> None:
    for path in ("/", f"/news/{site.articles[-1].id}.html", "/sections/politics.html"):
        heads = Links(get(site, path).text).heads
        alternates = [(h.get("type"), h.get("href")) for h in heads if h.get("rel") == "alternate"]
        assert ("application/feed+json", "/feeds/feed.json") in alternates
        assert "application/json" not in {kind for kind, _ in alternates}


def test_an_article_page_is_ready_to_be_shared_and_indexed(site: SiteServer) -> None:
    article = site.articles[-1]
    page = Links(get(site, f"/news/{article.id}.html").text)
    canonical = f"{site.url}/news/{article.id}.html"

    assert [h["href"] for h in page.heads if h.get("rel") == "canonical"] == [canonical]
    assert page.meta("description").startswith("بدأ وفد")
    assert page.meta("og:title") == article.title
    assert page.meta("og:url") == canonical
    assert page.meta("og:type") == "article"
    assert page.meta("og:image") == "https://images.news.example/0.jpg"
    assert page.meta("twitter:card") == "summary_large_image"
    assert page.meta("twitter:title") == article.title
    assert RFC3339.match(page.meta("article:published_time"))
    data = [
        json.loads(text)
        for attrs, text in page.scripts
        if attrs.get("type") == "application/ld+json"
    ]
    assert len(data) == 1
    news = data[0]
    assert news["@type"] == "NewsArticle" and news["headline"] == article.title
    assert news["inLanguage"] == "ar" and news["articleSection"] == SECTION_LABELS[article.section]
    assert news["image"] == ["https://images.news.example/0.jpg"]
    assert news["publisher"]["name"] and news["author"]["name"]
    for key in ("datePublished", "dateModified"):
        assert RFC3339.match(news[key]) and not news[key].endswith("+00:00")  # Casablanca's
    assert [h["href"] for h in page.heads if h.get("rel") == "icon"] == ["/favicon.svg"]
    assert get(site, "/favicon.svg").headers["content-type"] == "image/svg+xml"


def sitemap(site: SiteServer, path: str) -> ElementTree.Element:
    response = get(site, path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    return ElementTree.fromstring(response.content)


def locs(root: ElementTree.Element, site: SiteServer) -> list[str]:
    found = [(e.text or "") for e in root.iter(f"{SM}loc")]
    assert all(loc.startswith(site.url + "/") for loc in found)
    return [loc.removeprefix(site.url) for loc in found]


def test_robots_txt_points_to_a_sitemap_index_of_valid_sitemaps(site: SiteServer) -> None:
    robots = get(site, "/robots.txt")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"Sitemap: {site.url}/sitemap.xml" in robots.text.splitlines()

    index = sitemap(site, "/sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    children = locs(index, site)
    assert "/news-sitemap.xml" in children and len(children) <= 50_000
    listed: list[str] = []
    for child in children:
        root = sitemap(site, urlsplit(child).path)
        assert root.tag == f"{SM}urlset"
        urls = root.findall(f"{SM}url")
        assert len(urls) <= 50_000
        for url in urls:
            assert next(e.tag for e in url) == f"{SM}loc"  # loc first, as the schema orders
            lastmod = url.findtext(f"{SM}lastmod")
            assert lastmod is None or RFC3339.match(lastmod)
        listed.extend(locs(root, site))
    live = {f"/news/{a.id}.html" for a in site.articles}
    assert live <= set(listed)
    assert f"/news/{site.taken_down.id}.html" not in listed
    assert f"/tags/{SHARED}.html" in listed and f"/tags/{GONE_TAG}.html" not in listed
    assert "/sections/politics.html" in listed


def test_the_news_sitemap_names_the_publication_in_arabic(site: SiteServer) -> None:
    root = sitemap(site, "/news-sitemap.xml")
    urls = root.findall(f"{SM}url")
    assert {u.findtext(f"{SM}loc") for u in urls} == {
        f"{site.url}/news/{a.id}.html" for a in site.articles
    }
    for url in urls:
        news = url.find(f"{NEWS}news")
        assert news is not None
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == site.settings.site_name
        assert news.findtext(f"{NEWS}publication/{NEWS}language") == "ar"
        published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date") or "")
        assert datetime.now(UTC) - published < timedelta(hours=48)
        assert (news.findtext(f"{NEWS}title") or "").startswith("خبر رقم")


def test_pages_say_when_in_arabic_in_the_readers_time_zone(site: SiteServer) -> None:
    markup = get(site, f"/news/{site.articles[-1].id}.html").text
    found = re.search(r'<bdi><time datetime="([^"]+)">([^<]+)</time></bdi>', markup)
    assert found is not None
    moment = datetime.fromisoformat(found.group(1))
    assert moment.utcoffset() == timedelta(hours=1)  # Africa/Casablanca
    assert re.fullmatch(r"\w+ \d{1,2} \w+ \d{4}، \d\d:\d\d", found.group(2))
    months = get_month_names("wide", locale="ar").values()
    assert found.group(2).split()[2] in months


@pytest.mark.parametrize(
    "path",
    [
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/sections/politics.html",
        "/feeds/sections/politics.json",
        f"/tags/{SHARED}.html",
        "/robots.txt",
    ],
)
def test_new_outputs_are_cached_revalidated_and_compressed(site: SiteServer, path: str) -> None:
    with httpx.Client(base_url=site.url) as client:
        first = client.get(path, headers={"accept-encoding": "gzip"})
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=10"
        assert first.headers["vary"] == "Accept-Encoding"
        if len(first.content) >= 1024:
            assert first.headers["content-encoding"] == "gzip"
        again = client.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/tags/%00.html",
        "/tags/" + quote("ا" * 300) + ".html",
        "/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E.html",
        "/sections/%E2%80%AEpolitics.html",
        "/archive/9999999999.html",
        "/sitemaps/2026-12-99999.xml",
        "/feeds/sections/politics.xml%00",
    ],
)
def test_hostile_addresses_get_the_plain_404_page(site: SiteServer, path: str) -> None:
    response = get(site, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>alert" not in response.text and "الصفحة غير موجودة" in response.text
