"""parse_feed on inline feeds: format sniffing, encodings, base URLs, images, ninjs 1.x."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime

from pipeline.sources.fields import MAX_IMAGES
from pipeline.sources.items import FeedImage
from pipeline.sources.parse import parse_feed

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>قناة</title>
<item><title>{title}</title><link>{link}</link>{extra}
<pubDate>Sat, 02 May 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


def rss(title: str = "خبر", link: str = "https://a.example/1", extra: str = "", **kw: str) -> str:
    return RSS.format(title=title, link=link, extra=extra, encoding=kw.get("encoding", "UTF-8"))


def test_a_windows_1256_feed_is_decoded_as_declared() -> None:
    body = rss(title="اقتصاد المغرب", encoding="windows-1256").encode("cp1256")
    assert parse_feed(body).items[0].title == "اقتصاد المغرب"


def test_the_http_charset_decides_when_the_document_declares_none() -> None:
    body = rss(title="اقتصاد").replace(' encoding="UTF-8"', "").encode("cp1256")
    feed = parse_feed(body, content_type="text/xml; charset=windows-1256")
    assert feed.items[0].title == "اقتصاد"


def test_a_utf16_feed_with_its_byte_order_mark_is_read() -> None:
    body = codecs.BOM_UTF16_LE + rss(encoding="UTF-16").encode("utf-16-le")
    assert parse_feed(body).items[0].title == "خبر"


def test_a_utf8_bom_and_leading_whitespace_do_not_hide_json() -> None:
    body = codecs.BOM_UTF8 + b"\n  " + json.dumps({"uri": "u", "headline": "عاجل"}).encode()
    assert parse_feed(body).items[0].title == "عاجل"


def test_blank_lines_before_the_xml_declaration_are_forgiven() -> None:
    assert parse_feed(b"\n\n  " + rss().encode()).items[0].title == "خبر"


def test_format_is_sniffed_from_the_bytes_not_the_content_type() -> None:
    assert parse_feed(rss().encode(), content_type="text/html").format == "rss20"
    jf = {"version": "https://jsonfeed.org/version/1.1", "items": []}
    assert parse_feed(json.dumps(jf).encode(), content_type="application/xml").format == "json1.1"


def test_relative_links_and_images_resolve_against_the_base_url() -> None:
    extra = '<media:content url="/img/a.jpg" medium="image"/>'
    feed = parse_feed(
        rss(link="/news/1", extra=extra).encode(), base_url="https://outlet.example/feed/"
    )
    item = feed.items[0]
    assert item.link == "https://outlet.example/news/1"
    assert item.images == (FeedImage("https://outlet.example/img/a.jpg"),)


def test_a_relative_link_without_a_base_and_a_non_http_link_are_none() -> None:
    assert parse_feed(rss(link="/news/1").encode()).items[0].link is None
    assert parse_feed(rss(link="javascript:alert(1)").encode()).items[0].link is None
    assert parse_feed(rss(link="ftp://a.example/x").encode()).items[0].link is None


def test_images_are_deduplicated_by_url_and_capped_at_twenty() -> None:
    media = "".join(
        f'<media:content url="https://a.example/{n % 25}.jpg" medium="image">'
        f"<media:description>صورة {n}</media:description></media:content>"
        for n in range(40)
    )
    item = parse_feed(rss(extra=media).encode()).items[0]
    assert len(item.images) == MAX_IMAGES
    assert len({image.url for image in item.images}) == MAX_IMAGES
    assert item.images[0] == FeedImage("https://a.example/0.jpg", "صورة 0")


def test_a_repeat_with_a_caption_captions_the_first_copy() -> None:
    extra = (
        '<enclosure url="https://a.example/p.jpg" type="image/jpeg" length="1"/>'
        '<media:content url="https://a.example/p.jpg" medium="image">'
        "<media:title>الملعب</media:title></media:content>"
        '<media:thumbnail url="https://a.example/t.jpg"/>'
        '<enclosure url="https://a.example/a.mp3" type="audio/mpeg" length="1"/>'
    )
    item = parse_feed(rss(extra=extra).encode()).items[0]
    assert item.images == (
        FeedImage("https://a.example/p.jpg", "الملعب"),
        FeedImage("https://a.example/t.jpg"),
    )


def test_the_first_picture_in_the_text_is_used_only_when_the_feed_names_none() -> None:
    content = (
        '<description><![CDATA[<p>نص</p><img src="https://a.example/1.jpg" alt="بديل">'
        '<img src="https://a.example/2.jpg">]]></description>'
    )
    item = parse_feed(rss(extra=content).encode()).items[0]
    assert item.images == (FeedImage("https://a.example/1.jpg", "بديل"),)
    enclosure = '<enclosure url="https://a.example/e.jpg" type="image/jpeg" length="1"/>'
    item = parse_feed(rss(extra=content + enclosure).encode()).items[0]
    assert item.images == (FeedImage("https://a.example/e.jpg"),)


def test_atom_without_published_takes_updated_for_both() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id>
    <entry><id>e1</id><title>x</title><link href="https://a.example/e1"/>
    <updated>2026-05-02T08:00:00+03:00</updated></entry></feed>"""
    item = parse_feed(body).items[0]
    assert item.published_at == item.updated_at == datetime(2026, 5, 2, 5, 0, tzinfo=UTC)


def test_ninjs_1_shape_reads_headline_body_html_byline_and_keyed_associations() -> None:
    item_1x = {
        "uri": "https://wire.example/story/9",
        "type": "text",
        "versioncreated": "2026-05-02T10:00:00+01:00",
        "pubstatus": "usable",
        "headline": "<b>عنوان</b> الخبر",
        "body_html": "<p>الفقرة الأولى</p>",
        "description_text": "ملخص",
        "byline": "مراسلنا",
        "subject": [{"name": "سياسة"}],
        "associations": {
            "featureimage": {
                "type": "picture",
                "uri": "https://wire.example/pic/1",
                "description_text": "تعليق الصورة",
                "renditions": {
                    "small": {"href": "https://wire.example/s.jpg", "mimetype": "image/jpeg"}
                    | {"width": 200},
                    "large": {"href": "https://wire.example/l.jpg", "mimetype": "image/jpeg"}
                    | {"width": 2000},
                },
            }
        },
    }
    (item,) = parse_feed(json.dumps(item_1x).encode()).items
    assert item.title == "عنوان الخبر"
    assert item.content_html == "<p>الفقرة الأولى</p>"
    assert item.summary_html == "<p>ملخص</p>"
    assert item.author == "مراسلنا"
    assert item.categories == ("سياسة",)
    assert item.published_at == item.updated_at == datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    assert item.images == (FeedImage("https://wire.example/l.jpg", "تعليق الصورة"),)


def test_ninjs_prefers_an_html_body_and_turns_a_text_one_into_paragraphs() -> None:
    bodies = [
        {"contenttype": "text/plain", "value": "سطر أول\nسطر <ثان>"},
        {"contenttype": "text/html", "value": "<p>نص</p>"},
    ]
    item = {"uri": "urn:x:1", "headlines": [{"value": "ع"}], "bodies": bodies}
    parsed = parse_feed(json.dumps(item).encode()).items[0]
    assert parsed.content_html == "<p>نص</p>"
    assert parsed.link is None and parsed.guid == "urn:x:1"
    item["bodies"] = bodies[:1]
    parsed = parse_feed(json.dumps(item).encode()).items[0]
    assert parsed.content_html == "<p>سطر أول</p><p>سطر &lt;ثان&gt;</p>"


def test_json_feed_dates_without_offset_are_utc_and_bad_ones_none() -> None:
    items = [
        {"id": "1", "url": "https://a.example/1", "date_published": "2026-05-02T10:00:00"},
        {"id": "2", "url": "https://a.example/2", "date_published": "yesterday"},
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    first, second = parse_feed(json.dumps(feed).encode()).items
    assert first.published_at == datetime(2026, 5, 2, 10, 0, tzinfo=UTC)
    assert second.published_at is None


def test_json_feed_relative_urls_resolve_against_its_feed_url() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "feed_url": "https://outlet.example/feeds/all.json",
        "items": [{"id": "1", "url": "../news/1", "image": "/i.jpg", "title": "<i>ت</i>"}],
    }
    (item,) = parse_feed(json.dumps(feed).encode(), base_url="https://cdn.example/x").items
    assert item.link == "https://outlet.example/news/1"
    assert item.images == (FeedImage("https://outlet.example/i.jpg"),)
    assert item.title == "ت"
