"""The listing pages (home, tag, section) and what every page shares: one h1, the header."""

from __future__ import annotations

from pipeline.domain.models import (
    SECTION_NAMES,
    Tag,
)
from pipeline.render.entries import listing_entry
from pipeline.render.pages import (
    render_gone,
    render_home,
    render_section_page,
    render_tag_page,
)
from pipeline.render.ticker import build_ticker, render_ticker_html, with_ticker
from tests.unit.test_site import SITE, Page, _article, _page


def test_home_lists_latest_with_ticker() -> None:
    first = _article(id=1, title="الخبر الأول", breaking=True)
    second = _article(id=2, title="الخبر الثاني")

    markup = with_ticker(
        render_home([listing_entry(first, SITE), listing_entry(second, SITE)], SITE),
        render_ticker_html(build_ticker([first, second])),
    )
    page = Page(markup)

    assert page.find("html")[0].attrs == {"dir": "rtl", "lang": "ar"}
    titles = [a for a in page.find("a") if a.attrs["href"] in {"/news/1.html", "/news/2.html"}]
    assert [a.text for a in titles if "h2" in a.parents] == ["الخبر الأول", "الخبر الثاني"]
    lead = [a for a in titles if "section" in a.parents and "h2" in a.parents]
    assert [a.text for a in lead] == ["الخبر الأول"]  # the lead story, large, above the rest
    assert page.find("ul", class_="ticker")
    assert "<b>سوس ماسة</b>" in markup
    assert "وأوضح بلاغ" not in markup
    assert page.find("a", rel="tag")


def test_home_with_no_articles() -> None:
    page = Page(render_home([], SITE))

    assert page.find("ul", class_="listing")[0].text.strip() == "لا توجد أخبار بعد."


def test_tag_page_lists_the_tag_articles() -> None:
    tag = Tag(label="سوس ماسة", slug="سوس-ماسة", kind="place")

    page = Page(render_tag_page(tag, [listing_entry(_article(), SITE)], SITE))

    assert page.find("title")[0].text == "سوس ماسة — نشر"
    assert page.find("link", rel="canonical")[0].attrs["href"] == (
        "https://nashr.example/tags/%D8%B3%D9%88%D8%B3-%D9%85%D8%A7%D8%B3%D8%A9.html"
    )
    assert page.find("a", href="/news/42.html")


def test_every_listing_page_and_notice_has_one_h1() -> None:
    entries = [listing_entry(_article(id=n), SITE) for n in (1, 2)]
    pages = {
        "article": _page()[0],
        "home": render_home(entries, SITE, older="/archive/2.html"),
        "older home": render_home(entries, SITE, older_than=9),
        "tag": render_tag_page(Tag(label="الهجرة", slug="الهجرة"), entries, SITE),
        "section": render_section_page("sport", entries, SITE),
        "gone": render_gone(SITE),
        "emptied listing": render_gone(SITE, listing=True),
    }
    for kind, markup in pages.items():
        assert len(Page(markup).find("h1")) == 1, kind


def test_the_header_names_the_site_lists_the_sections_and_searches() -> None:
    page = Page(render_home([], SITE))
    brand = page.find("a", class_="brand")[0]
    assert brand.text == "نشر" and brand.attrs["href"] == "/"
    sections = [
        a.attrs["href"] for a in page.find("a") if "nav" in a.parents and "header" in a.parents
    ]
    assert sections == [f"/sections/{name}.html" for name in SECTION_NAMES]
    form = page.find("form")[0]
    assert form.attrs == {"role": "search", "action": "/search", "method": "get"}
    assert page.find("input", name="q")
    assert page.find("footer")[0].text.count("RSS") == 1
