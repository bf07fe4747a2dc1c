"""The article page, home, tag page and article JSON: right-to-left, complete, and inert to XSS."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from pipeline.domain.models import (
    Image,
    PublishedArticle,
    SiteInfo,
    SourceLink,
    Tag,
)
from pipeline.render.entries import listing_entry
from pipeline.render.pages import (
    REPORT_NOTICE,
    render_article_json,
    render_article_page,
    render_home,
    render_tag_page,
    safe_href,
)
from pipeline.render.ticker import build_ticker, render_ticker_html, with_ticker

SITE = SiteInfo(base_url="https://nashr.example", name="نشر", description="آخر الأخبار")
PUBLISHED = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
UPDATED = datetime(2025, 3, 15, 11, 0, tzinfo=UTC)
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
SOURCE_LABEL = "انقر هنا لقراءة الخبر من مصدره"
VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}


def _article(**changes: object) -> PublishedArticle:
    fields: dict[str, object] = {
        "id": 42,
        "version": 3,
        "title": "وفد من جهة سوس يقوم بزيارة عمل إلى بلجيكا وفرنسا",
        "paragraphs": [
            "بدأ وفد من جهة <b>سوس ماسة</b> بزيارة عمل من 15إلى 24 مارس.",
            "وأوضح بلاغ توصلت شبكة أندلس بنسخة منه &amp; أكثر.",
        ],
        "tags": [
            Tag(label="سوس ماسة", slug="سوس-ماسة", kind="place"),
            Tag(label="الهجرة", slug="الهجرة"),
        ],
        "images": [
            Image(url="https://news.example/img/hidden.jpg", caption="صورة محجوبة", hidden=True),
            Image(url="https://news.example/img/souss.jpg", caption="وفد جهة سوس ماسة"),
        ],
        "source": SourceLink(url="https://news.example/souss", name="شبكة أندلس"),
        "published_at": PUBLISHED,
        "updated_at": UPDATED,
    }
    fields.update(changes)
    return PublishedArticle.model_validate(fields)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    parents: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Records every element with its text, and fails on an end tag that does not match."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), parents=[e.tag for e in self.stack])
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1].tag == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def _page(article: PublishedArticle | None = None) -> tuple[str, Page]:
    article = article or _article()
    markup = with_ticker(
        render_article_page(article, SITE), render_ticker_html(build_ticker([article]))
    )
    return markup, Page(markup)


def test_page_is_rtl_arabic_html5() -> None:
    markup, page = _page()

    assert markup.startswith("<!DOCTYPE html>")
    assert page.find("html")[0].attrs == {"dir": "rtl", "lang": "ar"}
    assert page.find("meta", charset="utf-8")
    assert page.find("title")[0].text.startswith("وفد من جهة سوس")
    assert not page.stack


def test_page_links_canonical_and_feeds_but_does_not_offer_its_json_as_a_feed() -> None:
    _, page = _page()

    assert (
        page.find("link", rel="canonical")[0].attrs["href"] == "https://nashr.example/news/42.html"
    )
    assert not page.find("link", type="application/json")
    assert page.find("link", rel="alternate", type="application/feed+json")[0].attrs["href"] == (
        "/feeds/feed.json"
    )
    assert page.find("link", rel="alternate", type="application/rss+xml")[0].attrs["href"] == (
        "/feeds/rss.xml"
    )
    assert page.find("link", rel="alternate", type="application/atom+xml")[0].attrs["href"] == (
        "/feeds/atom.xml"
    )


def test_each_paragraph_in_its_own_p_with_its_markup() -> None:
    markup, page = _page()

    texts = [p.text for p in page.find("p") if "article" in p.parents and not p.attrs]
    assert texts == [
        "بدأ وفد من جهة سوس ماسة بزيارة عمل من 15إلى 24 مارس.",
        "وأوضح بلاغ توصلت شبكة أندلس بنسخة منه & أكثر.",
    ]
    assert "<b>سوس ماسة</b>" in markup


def test_tags_link_to_percent_encoded_tag_pages() -> None:
    _, page = _page()

    links = page.find("a", rel="tag")
    assert [a.text for a in links] == ["سوس ماسة", "الهجرة"]
    assert links[0].attrs["href"] == "/tags/%D8%B3%D9%88%D8%B3-%D9%85%D8%A7%D8%B3%D8%A9.html"


def test_hidden_images_are_not_rendered_and_visible_ones_can_be_reported() -> None:
    markup, page = _page()

    assert "hidden.jpg" not in markup and "صورة محجوبة" not in markup
    assert [img.attrs["src"] for img in page.find("img")] == ["https://news.example/img/souss.jpg"]
    assert page.find("figcaption")[0].text == "وفد جهة سوس ماسة"
    button = page.find("button", class_="report-image")[0]
    assert button.text == "الإبلاغ عن الصورة"
    # The index is the image's place in the article, hidden ones counted: the API knows it so.
    assert button.attrs["data-article-id"] == "42"
    assert button.attrs["data-image-index"] == "1"
    notice = page.find("p", class_="report-notice")[0]
    assert notice.text == REPORT_NOTICE and "hidden" in notice.attrs


def test_report_script_posts_to_the_reports_endpoint() -> None:
    _, page = _page()

    scripts = [s for s in page.find("script") if "type" not in s.attrs]
    assert len(scripts) == 2  # the image report, and the live ticker
    report = next(s for s in scripts if "/reports" in s.text)
    assert '"/articles/" + button.dataset.articleId + "/images/"' in report.text
    assert 'method: "POST"' in report.text


def test_every_page_follows_the_live_ticker() -> None:
    _, page = _page()
    home = Page(render_home([], SITE))
    for parsed in (page, home):
        live = [s for s in parsed.find("script") if "EventSource" in s.text]
        assert len(live) == 1 and '"/ticker/stream"' in live[0].text


def test_source_link_and_attribution() -> None:
    _, page = _page()

    link = page.find("a", rel="nofollow noopener")[0]
    assert link.text == SOURCE_LABEL
    assert link.attrs["href"] == "https://news.example/souss"
    assert page.find("p", class_="source")[0].text.startswith("المصدر: شبكة أندلس")


def test_times_breaking_badge_and_ticker_on_top() -> None:
    markup, page = _page(_article(breaking=True))

    datetimes = [t.attrs["datetime"] for t in page.find("time")]
    assert datetimes == ["2025-03-15T09:30:00+00:00", "2025-03-15T11:00:00+00:00"]
    assert page.find("span", class_="badge")[0].text == "عاجل"
    assert markup.index('<ul class="ticker"') < markup.index("<h1>وفد")
    assert page.find("li", class_="breaking")


def test_no_badge_when_not_breaking() -> None:
    _, page = _page()

    assert not page.find("span", class_="badge")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a?b=1", "https://news.example/a?b=1"),
        ("HTTP://news.example/", "HTTP://news.example/"),
        ("/news/1.html", "/news/1.html"),
        ("javascript:alert(1)", "#"),
        ("JavaScript:alert(1)", "#"),
        (" javascript:alert(1)", "#"),
        ("java\tscript:alert(1)", "#"),
        ("data:text/html,<script>alert(1)</script>", "#"),
        ("//evil.example/x", "#"),
        ("https:/evil", "#"),
        ("", "#"),
    ],
)
def test_safe_href_keeps_only_web_links(url: str, expected: str) -> None:
    assert safe_href(url) == expected


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_never_reaches_the_page_unescaped(payload: str) -> None:
    article = _article(
        title=payload,
        tags=[Tag(label=payload, slug=payload)],
        images=[Image(url="javascript:alert(1)", caption=payload)],
        source=SourceLink(url="javascript:alert(1)", name=payload),
        category=payload,
    )

    markup, page = _page(article)
    home = with_ticker(
        render_home([listing_entry(article, SITE)], SITE),
        render_ticker_html(build_ticker([article])),
    )
    tag_page = render_tag_page(article.tags[0], [listing_entry(article, SITE)], SITE)

    for output in (markup, home, tag_page):
        assert payload not in output
        assert "javascript:" not in output
        parsed = Page(output)
        scripts = parsed.find("script")
        data = [s for s in scripts if s.attrs.get("type") == "application/ld+json"]
        assert len(scripts) - len(data) == (2 if output is markup else 1)
        assert len(data) == (1 if output is markup else 0)
        assert all(json.loads(s.text)["@type"] == "NewsArticle" for s in data)
        assert not [s for s in scripts if "alert" in s.text and s not in data]
        assert not [name for e in parsed.elements for name in e.attrs if name.startswith("on")]
    assert page.find("h1")[0].text == payload
    assert page.find("a", rel="nofollow noopener")[0].attrs["href"] == "#"


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_in_json_is_escaped_and_round_trips(payload: str) -> None:
    article = _article(
        title=payload,
        tags=[Tag(label=payload, slug="x")],
        images=[Image(url="https://news.example/i.jpg", caption=payload)],
        source=SourceLink(url="javascript:alert(1)", name=payload),
    )

    text = render_article_json(article, SITE)
    document = json.loads(text)

    assert payload not in text and "javascript:" not in text
    assert "<" not in text and ">" not in text
    assert document["title"] == payload
    assert document["tags"][0]["label"] == payload
    assert document["images"][0]["caption"] == payload
    assert document["source"]["name"] == payload
    assert document["source"]["url"] == "#"


def test_article_json_carries_the_article() -> None:
    text = render_article_json(_article(category="جهات"), SITE)
    document = json.loads(text)

    assert list(document) == sorted(document)
    assert document["id"] == 42 and document["version"] == 3
    assert document["url"] == "https://nashr.example/news/42.html"
    assert (
        document["paragraphs"][0] == "بدأ وفد من جهة <b>سوس ماسة</b> بزيارة عمل من 15إلى 24 مارس."
    )
    assert document["text"] == (
        "بدأ وفد من جهة سوس ماسة بزيارة عمل من 15إلى 24 مارس.\n\n"
        "وأوضح بلاغ توصلت شبكة أندلس بنسخة منه & أكثر."
    )
    assert document["tags"][0] == {
        "label": "سوس ماسة",
        "slug": "سوس-ماسة",
        "kind": "place",
        "url": "https://nashr.example/tags/%D8%B3%D9%88%D8%B3-%D9%85%D8%A7%D8%B3%D8%A9.html",
    }
    assert document["images"] == [
        {"url": "https://news.example/img/souss.jpg", "caption": "وفد جهة سوس ماسة"}
    ]
    assert document["source"] == {
        "url": "https://news.example/souss",
        "name": "شبكة أندلس",
        "label": SOURCE_LABEL,
        "rel": "nofollow noopener",
    }
    assert document["breaking"] is False and document["category"] == "جهات"
    assert document["published_at"] == "2025-03-15T09:30:00+00:00"
    assert document["updated_at"] == "2025-03-15T11:00:00+00:00"


def test_rendering_is_deterministic() -> None:
    article = _article()
    assert render_article_page(article, SITE) == render_article_page(article, SITE)
    assert render_article_json(article, SITE) == render_article_json(article, SITE)


def test_bidi_controls_do_not_break_the_page() -> None:
    bidi = "\u202eخبر\u202c \u2067abc\u2069 \u200f"
    article = _article(title=bidi, tags=[Tag(label=bidi, slug="bidi")])

    _, page = _page(article)

    assert page.find("h1")[0].text == bidi
    assert page.find("html")[0].attrs["dir"] == "rtl" and not page.stack
    assert json.loads(render_article_json(article, SITE))["title"] == bidi


def test_huge_inputs_render_whole() -> None:
    title = "خبر " * 50_000
    paragraphs = [f"فقرة رقم {i}" for i in range(2_000)]
    article = _article(title=title, paragraphs=paragraphs)

    _, page = _page(article)

    assert page.find("h1")[0].text == title
    assert len([p for p in page.find("p") if "article" in p.parents and not p.attrs]) == 2_000
    assert len(json.loads(render_article_json(article, SITE))["paragraphs"]) == 2_000


def test_the_report_button_and_its_notice_sit_beside_the_figure_not_in_it() -> None:
    _, page = _page()
    for element in page.find("button") + page.find("p", class_="report-notice"):
        assert "figure" not in element.parents
        assert "div" in element.parents
    for image in page.find("img"):
        assert image.attrs["width"] and image.attrs["height"]


def test_times_are_valid_isolated_and_in_arabic() -> None:
    _, page = _page()
    times = page.find("time")
    assert len(times) == 2  # published and updated
    for time in times:
        assert "bdi" in time.parents
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", time.attrs["datetime"] or ""
        )
        assert "مارس" in time.text


@pytest.mark.parametrize("payload", XSS)
def test_hostile_titles_stay_text_in_open_graph_and_json_ld(payload: str) -> None:
    # paragraphs reach rendering sanitised by validate: the payload arrives as escaped text
    markup, page = _page(_article(title=payload, paragraphs=[html.escape(payload)]))
    assert payload not in markup
    titles = [m.attrs["content"] for m in page.find("meta", property="og:title")]
    assert titles == [payload]
    assert page.find("meta", name="description")[0].attrs["content"] == payload
    [data] = [s for s in page.find("script") if s.attrs.get("type") == "application/ld+json"]
    assert "<" not in data.text and json.loads(data.text)["headline"] == payload
