"""RSS, Atom and JSON Feed: parseable whatever the text, full content, GUIDs that never move."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.domain.models import Image, PublishedArticle, SiteInfo, SourceLink, Tag
from pipeline.render.article_feeds import UNTITLED, render_atom, render_json_feed, render_rss

SITE = SiteInfo(base_url="https://nashr.example", name="نشر", description="آخر الأخبار")
T0 = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _article(article_id: int = 1, **changes: object) -> PublishedArticle:
    published = T0 - timedelta(hours=article_id)
    fields: dict[str, object] = {
        "id": article_id,
        "version": 1,
        "title": f"الخبر رقم {article_id}",
        "paragraphs": ["الفقرة <b>الأولى</b>.", "الفقرة الثانية &amp; الأخيرة."],
        "tags": [Tag(label="سوس ماسة", slug="سوس-ماسة", kind="place")],
        "images": [
            Image(url="https://news.example/hidden.jpg", caption="محجوبة", hidden=True),
            Image(url="https://news.example/shown.jpg", caption="ظاهرة"),
        ],
        "source": SourceLink(url="https://news.example/src", name="شبكة أندلس"),
        "published_at": published,
        "updated_at": published + timedelta(minutes=30),
    }
    fields.update(changes)
    return PublishedArticle.model_validate(fields)


def _rss_items(feed: bytes) -> list[ET.Element]:
    return ET.fromstring(feed).findall("./channel/item")


def _atom_entries(feed: bytes) -> list[ET.Element]:
    return ET.fromstring(feed).findall(f"{ATOM}entry")


def test_rss_channel_is_arabic_rss_2() -> None:
    root = ET.fromstring(render_rss([_article()], SITE))

    assert root.tag == "rss" and root.attrib["version"] == "2.0"
    assert root.findtext("./channel/language") == "ar"
    assert root.findtext("./channel/title") == "نشر"
    assert root.findtext("./channel/link") == "https://nashr.example/"
    self_link = root.find(f"./channel/{ATOM}link")
    assert self_link is not None
    assert self_link.attrib["href"] == "https://nashr.example/feeds/rss.xml"


def test_rss_items_carry_full_content_in_order() -> None:
    articles = [_article(1), _article(3), _article(2)]

    items = _rss_items(render_rss(articles, SITE))

    assert [item.findtext("title") for item in items] == [a.title for a in articles]
    first = items[0]
    assert first.findtext("link") == "https://nashr.example/news/1.html"
    guid = first.find("guid")
    assert guid is not None and guid.text == "https://nashr.example/news/1.html"
    assert guid.attrib["isPermaLink"] == "true"
    assert parsedate_to_datetime(first.findtext("pubDate") or "") == articles[0].published_at
    assert first.findtext("description") == "الفقرة الأولى."
    assert [c.text for c in first.findall("category")] == ["سوس ماسة"]
    content = first.findtext(CONTENT) or ""
    assert "<p>الفقرة <b>الأولى</b>.</p>" in content
    assert "<p>الفقرة الثانية &amp; الأخيرة.</p>" in content
    assert "shown.jpg" in content and "hidden.jpg" not in content
    assert 'rel="nofollow noopener">انقر هنا لقراءة الخبر من مصدره</a>' in content


def test_rss_uses_cdata_for_content() -> None:
    assert b"<content:encoded><![CDATA[" in render_rss([_article()], SITE)


def test_rss_title_and_self_path_for_a_tag_feed() -> None:
    feed = render_rss([_article()], SITE, title="نشر: سوس ماسة", self_path="/tags/x.rss.xml")
    root = ET.fromstring(feed)

    assert root.findtext("./channel/title") == "نشر: سوس ماسة"
    self_link = root.find(f"./channel/{ATOM}link")
    assert self_link is not None
    assert self_link.attrib["href"] == "https://nashr.example/tags/x.rss.xml"


def test_atom_feed_is_arabic_with_html_content() -> None:
    articles = [_article(2), _article(1)]
    root = ET.fromstring(render_atom(articles, SITE))

    assert root.tag == f"{ATOM}feed"
    assert root.attrib[XML_LANG] == "ar"
    assert root.findtext(f"{ATOM}id") == "https://nashr.example/feeds/atom.xml"
    assert root.findtext(f"{ATOM}updated") == articles[1].updated_at.isoformat()
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "نشر"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        "https://nashr.example/news/2.html",
        "https://nashr.example/news/1.html",
    ]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}updated") == articles[0].updated_at.isoformat()
    assert entry.findtext(f"{ATOM}published") == articles[0].published_at.isoformat()
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.attrib["type"] == "html"
    assert "<p>الفقرة <b>الأولى</b>.</p>" in (content.text or "")
    category = entry.find(f"{ATOM}category")
    assert category is not None
    assert category.attrib == {
        "term": "سوس-ماسة",
        "label": "سوس ماسة",
        "scheme": "https://nashr.example/tags/",
    }


def test_guid_is_stable_across_versions() -> None:
    # Given two versions of one article: new title, new body, later update
    v1 = _article(7)
    v2 = _article(
        7,
        version=2,
        title="عنوان مصحح",
        paragraphs=["نص جديد"],
        updated_at=v1.updated_at + timedelta(hours=5),
    )

    # When each is rendered in each feed
    rss = [_rss_items(render_rss([v], SITE))[0].findtext("guid") for v in (v1, v2)]
    atom = [_atom_entries(render_atom([v], SITE))[0].findtext(f"{ATOM}id") for v in (v1, v2)]
    jsf = [json.loads(render_json_feed([v], SITE))["items"][0]["id"] for v in (v1, v2)]

    # Then the identity has not moved
    assert rss[0] == rss[1] == atom[0] == atom[1] == jsf[0] == jsf[1]
    assert rss[0] == "https://nashr.example/news/7.html"


def test_json_feed_1_1() -> None:
    document = json.loads(render_json_feed([_article(1), _article(2)], SITE))

    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["language"] == "ar"
    assert document["home_page_url"] == "https://nashr.example/"
    assert document["feed_url"] == "https://nashr.example/feeds/feed.json"
    item = document["items"][0]
    assert [i["id"] for i in document["items"]] == [
        "https://nashr.example/news/1.html",
        "https://nashr.example/news/2.html",
    ]
    assert item["url"] == item["id"]
    assert item["title"] == "الخبر رقم 1"
    assert "<p>الفقرة <b>الأولى</b>.</p>" in item["content_html"]
    assert item["date_published"] == "2025-03-15T11:00:00+00:00"
    assert item["date_modified"] == "2025-03-15T11:30:00+00:00"
    assert item["tags"] == ["سوس ماسة"]
    assert item["language"] == "ar"
    assert item["image"] == "https://news.example/shown.jpg"
    assert item["external_url"] == "https://news.example/src"


def test_empty_feeds_are_valid_and_stable() -> None:
    rss, atom = render_rss([], SITE), render_atom([], SITE)

    assert _rss_items(rss) == [] and _atom_entries(atom) == []
    assert rss == render_rss([], SITE) and atom == render_atom([], SITE)
    assert json.loads(render_json_feed([], SITE))["items"] == []


def test_feeds_are_deterministic() -> None:
    articles = [_article(1), _article(2)]

    assert render_rss(articles, SITE) == render_rss(articles, SITE)
    assert render_atom(articles, SITE) == render_atom(articles, SITE)


def test_naive_datetimes_are_taken_as_utc() -> None:
    article = _article(published_at=datetime(2025, 1, 1, 8, 0), updated_at=datetime(2025, 1, 1, 9))

    entry = _atom_entries(render_atom([article], SITE))[0]

    assert entry.findtext(f"{ATOM}published") == "2025-01-01T08:00:00+00:00"


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_never_reaches_a_feed_unescaped(payload: str) -> None:
    article = _article(
        title=payload,
        tags=[Tag(label=payload, slug=payload)],
        images=[Image(url="javascript:alert(1)", caption=payload)],
        source=SourceLink(url="javascript:alert(1)", name=payload),
    )

    rss = render_rss([article], SITE)
    atom = render_atom([article], SITE)
    as_json = render_json_feed([article], SITE)

    for raw in (rss.decode(), atom.decode(), as_json):
        assert payload not in raw
        assert "javascript:" not in raw
    # Once the XML layer is read, the HTML inside still holds the payload as escaped text only.
    content = _rss_items(rss)[0].findtext(CONTENT) or ""
    atom_content = _atom_entries(atom)[0].findtext(f"{ATOM}content") or ""
    for html in (content, atom_content, json.loads(as_json)["items"][0]["content_html"]):
        assert payload not in html and "<script" not in html
    assert _rss_items(rss)[0].findtext("title") == payload
    assert "external_url" not in json.loads(as_json)["items"][0]


def test_control_characters_and_cdata_end_do_not_break_xml() -> None:
    article = _article(
        title="خبر\x00\x01\x0b\x1f\ufffe\uffff عاجل",
        paragraphs=["نص ]]> فيه\x08 نهاية CDATA"],
        tags=[Tag(label="وسم\x07", slug="tag\x00")],
        source=SourceLink(url="https://news.example/src", name="مصدر\x1b"),
    )

    rss = _rss_items(render_rss([article], SITE))[0]
    atom = _atom_entries(render_atom([article], SITE))[0]

    assert rss.findtext("title") == "خبر عاجل"
    assert "نص ]]&gt; فيه نهاية CDATA" in (rss.findtext(CONTENT) or "")
    assert atom.findtext(f"{ATOM}title") == "خبر عاجل"


def test_bidi_and_huge_inputs() -> None:
    bidi = "\u202eخبر\u202c \u2067abc\u2069\u200f"
    huge = _article(2, title="خبر " * 50_000, paragraphs=["فقرة"] * 2_000)

    rss = _rss_items(render_rss([_article(1, title=bidi), huge], SITE))
    atom = _atom_entries(render_atom([_article(1, title=bidi), huge], SITE))

    assert rss[0].findtext("title") == bidi
    assert atom[0].findtext(f"{ATOM}title") == bidi
    whole = _rss_items(render_rss([huge], SITE, max_entry_bytes=10**7))[0]
    assert (whole.findtext(CONTENT) or "").count("<p>فقرة</p>") == 2_000


def test_an_entry_past_the_cap_carries_its_summary_and_a_link() -> None:
    # Given an article of 400 KB: fifty of them made feeds of tens of megabytes
    huge = _article(3, paragraphs=["فقرة طويلة جدا " * 40] * 700)
    assert len("".join(huge.paragraphs).encode()) > 400_000

    # When it is rendered into the feeds with the default cap
    rss, atom = render_rss([huge], SITE), render_atom([huge], SITE)
    as_json = json.loads(render_json_feed([huge], SITE))

    # Then each entry is the summary and a link to the article, well under the cap
    for content in (
        _rss_items(rss)[0].findtext(CONTENT) or "",
        _atom_entries(atom)[0].findtext(f"{ATOM}content") or "",
        as_json["items"][0]["content_html"],
    ):
        assert len(content.encode()) < 20_000
        assert 'href="https://nashr.example/news/3.html"' in content
        assert "اقرأ الخبر كاملا" in content and "فقرة طويلة جدا" in content
    assert len(rss) < 25_000


def test_blank_title_gets_a_stand_in() -> None:
    article = _article(title="  ")

    assert _rss_items(render_rss([article], SITE))[0].findtext("title") == UNTITLED
    assert _atom_entries(render_atom([article], SITE))[0].findtext(f"{ATOM}title") == UNTITLED


@settings(max_examples=150, deadline=None)
@given(title=st.text(), label=st.text(max_size=40), name=st.text(max_size=40))
def test_any_unicode_text_gives_parseable_feeds(title: str, label: str, name: str) -> None:
    article = _article(
        title=title,
        tags=[Tag(label=label, slug=label)],
        source=SourceLink(url="https://news.example/src", name=name),
    )

    rss = ET.fromstring(render_rss([article], SITE, title=title))
    atom = ET.fromstring(render_atom([article], SITE, title=title))

    assert len(rss.findall("./channel/item")) == 1
    assert len(atom.findall(f"{ATOM}entry")) == 1
    assert atom.attrib[XML_LANG] == "ar"


MEDIA = "{http://search.yahoo.com/mrss/}"


def test_the_first_visible_image_is_the_rss_enclosure_and_media_content() -> None:
    [item] = _rss_items(render_rss([_article()], SITE))

    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert enclosure.attrib == {
        "url": "https://news.example/shown.jpg",  # the hidden one is never offered
        "length": "0",
        "type": "image/jpeg",
    }
    media = item.find(f"{MEDIA}content")
    assert media is not None
    assert media.get("url") == "https://news.example/shown.jpg" and media.get("medium") == "image"
    assert media.findtext(f"{MEDIA}description") == "ظاهرة"


def test_the_atom_entry_links_its_picture_as_an_enclosure() -> None:
    [entry] = _atom_entries(render_atom([_article()], SITE))
    enclosures = [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "enclosure"]
    assert [(e.get("href"), e.get("type")) for e in enclosures] == [
        ("https://news.example/shown.jpg", "image/jpeg")
    ]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://news.example/a.png", "image/png"),
        ("https://news.example/a.webp?w=800", "image/webp"),
        ("https://news.example/photo", "image/jpeg"),
        ("https://news.example/a.exe", "image/jpeg"),
        ('https://news.example/"><x>.gif', "image/gif"),
    ],
)
def test_the_enclosure_type_comes_from_the_extension_and_is_always_an_image(
    url: str, kind: str
) -> None:
    article = _article(images=[Image(url=url)])
    [item] = _rss_items(render_rss([article], SITE))
    enclosure = item.find("enclosure")
    assert enclosure is not None and enclosure.get("type") == kind
    assert enclosure.get("url") == url
    feed = json.loads(render_json_feed([article], SITE))
    assert feed["items"][0]["attachments"] == [{"url": url, "mime_type": kind}]


def test_no_picture_no_enclosure() -> None:
    article = _article(images=[])
    [item] = _rss_items(render_rss([article], SITE))
    assert item.find("enclosure") is None and item.find(f"{MEDIA}content") is None
    [entry] = _atom_entries(render_atom([article], SITE))
    assert not [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "enclosure"]


def test_feed_dates_carry_offsets_and_whole_seconds() -> None:
    article = _article(published_at=T0.replace(microsecond=987654))
    [item] = _rss_items(render_rss([article], SITE))
    assert (item.findtext("pubDate") or "").endswith(" +0000")
    [entry] = _atom_entries(render_atom([article], SITE))
    assert entry.findtext(f"{ATOM}published") == "2025-03-15T12:00:00+00:00"
