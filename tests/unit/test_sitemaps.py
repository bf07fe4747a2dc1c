"""Sitemaps, the news sitemap and robots.txt: the protocol's rules, whatever the titles say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from pipeline.domain.models import Image, ListingEntry, SiteInfo
from pipeline.render import sitemaps

SITE = SiteInfo(base_url="https://nashr.example", name='نشر <أخبار> & "آراء"')
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
T0 = datetime(2026, 12, 7, 10, 0, 0, 654321, tzinfo=UTC)


def entry(article_id: int, title: str = "خبر") -> ListingEntry:
    return ListingEntry(
        id=article_id,
        version=1,
        title=title,
        published_at=T0 - timedelta(minutes=article_id),
        updated_at=T0,
        image=Image(url="https://news.example/a.jpg"),
        summary="ملخص",
        card_html="<article></article>",
        entry_html="<p>نص</p>",
    )


def test_a_url_set_lists_absolute_locations_with_w3c_dates() -> None:
    root = ElementTree.fromstring(
        sitemaps.url_set(SITE, [("/news/1.html", T0), ("/tags/%D8%A7.html", None)])
    )
    assert root.tag == f"{SM}urlset"
    urls = root.findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [
        "https://nashr.example/news/1.html",
        "https://nashr.example/tags/%D8%A7.html",
    ]
    assert W3C_DATETIME.match(urls[0].findtext(f"{SM}lastmod") or "")
    assert urls[1].find(f"{SM}lastmod") is None


def test_a_sitemap_never_holds_more_than_50000_urls() -> None:
    full = [(f"/news/{n}.html", None) for n in range(sitemaps.MAX_URLS)]
    assert len(ElementTree.fromstring(sitemaps.url_set(SITE, full))) == sitemaps.MAX_URLS
    with pytest.raises(ValueError, match="50000"):
        sitemaps.url_set(SITE, [*full, ("/one-more.html", None)])


def test_the_index_points_to_each_sitemap() -> None:
    root = ElementTree.fromstring(
        sitemaps.sitemap_index(SITE, [("/sitemaps/2026-12-1.xml", T0), ("/news-sitemap.xml", None)])
    )
    assert root.tag == f"{SM}sitemapindex"
    assert [s.findtext(f"{SM}loc") for s in root.findall(f"{SM}sitemap")] == [
        "https://nashr.example/sitemaps/2026-12-1.xml",
        "https://nashr.example/news-sitemap.xml",
    ]


@given(st.text(max_size=300))
def test_news_entries_name_the_publication_and_keep_any_title_as_text(title: str) -> None:
    root = ElementTree.fromstring(sitemaps.news_sitemap(SITE, [entry(1, title)]))
    news = root.find(f"{SM}url/{NEWS}news")
    assert news is not None
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == SITE.name
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "ar"
    assert W3C_DATETIME.match(news.findtext(f"{NEWS}publication_date") or "")
    allowed = re.sub("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", title)
    expected = allowed.replace("\r\n", "\n").replace("\r", "\n")
    assert (news.findtext(f"{NEWS}title") or "") == expected


def test_the_news_sitemap_stops_at_1000() -> None:
    many = [entry(n) for n in range(1, 1200)]
    assert len(ElementTree.fromstring(sitemaps.news_sitemap(SITE, many))) == 1000


def test_robots_txt_points_to_the_index_and_keeps_crawlers_off_the_api() -> None:
    lines = sitemaps.robots_txt(SITE).splitlines()
    assert lines[0] == "User-agent: *"
    assert "Sitemap: https://nashr.example/sitemap.xml" in lines
    assert "Disallow: /articles" in lines
    assert "Disallow: /" not in lines


def test_the_favicon_is_a_small_svg() -> None:
    root = ElementTree.fromstring(sitemaps.FAVICON_SVG)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(sitemaps.FAVICON_SVG) < 1024
