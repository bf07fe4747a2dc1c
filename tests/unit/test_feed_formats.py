"""Every feed format nashr reads, from the committed fixtures: each field of each item."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.sources.items import FeedImage, FeedItem, ParsedFeed
from pipeline.sources.links import normalise_link
from pipeline.sources.parse import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def parsed(name: str, base_url: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), base_url=base_url)


def by_link(feed: ParsedFeed) -> dict[str, FeedItem]:
    return {item.link: item for item in feed.items if item.link}


@pytest.mark.parametrize(
    ("name", "format_", "count"),
    [
        ("wordpress-rss.xml", "rss20", 5),
        ("wordpress-rss-sport.xml", "rss20", 5),
        ("atom.xml", "atom10", 5),
        ("feed.json", "json1.1", 5),
        ("feed-1.0.json", "json1.0", 5),
        ("ninjs.json", "ninjs", 5),
        ("ninjs-item.json", "ninjs", 1),
        ("rss091.xml", "rss091n", 5),
        ("rss10.xml", "rss10", 5),
    ],
)
def test_every_fixture_parses_with_its_format_and_every_item_has_what_nashr_needs(
    name: str, format_: str, count: int
) -> None:
    feed = parsed(name)
    assert feed.format == format_
    assert len(feed.items) == count
    for item in feed.items:
        assert item.title and "<" not in item.title
        assert any("\u0600" <= ch <= "\u06ff" for ch in item.title)  # Arabic text
        assert item.link is not None and item.link.startswith("https://")
        assert item.published_at is not None and item.published_at.tzinfo == UTC
        assert item.content_html or item.summary_html
    assert len({item.link for item in feed.items}) == count


def test_wordpress_item_has_every_field_as_wordpress_writes_it() -> None:
    feed = parsed("wordpress-rss.xml")
    assert feed.title == "هسبريس"
    first = feed.items[0]
    assert first.guid == "https://hespress.example/?p=101"
    assert first.link == "https://hespress.example/politique/101.html"
    assert first.author == "هيئة التحرير"
    assert first.categories == ("سياسة", "دولي")
    # pubDate "Fri, 01 May 2026 13:31:00 +0200" is 11:31 UTC
    assert first.published_at == datetime(2026, 5, 1, 11, 31, tzinfo=UTC)
    assert first.updated_at is None
    assert first.content_html.startswith("<p>أتلانتا")
    assert "<figcaption>" in first.content_html
    assert first.summary_html.startswith("<p>أتلانتا") and "…" in first.summary_html
    assert first.summary_html != first.content_html
    # the figure's picture, captioned by its figcaption
    assert first.images == (
        FeedImage(
            url="https://hespress.example/wp-content/uploads/2026/05/101.jpg",
            caption=first.images[0].caption,
        ),
    )
    assert first.images[0].caption.startswith("وأكد وزير المواصلات")
    assert first.canceled is False


def test_wordpress_media_content_and_enclosure_come_before_the_picture_in_the_text() -> None:
    items = parsed("wordpress-rss.xml").items
    media, enclosure = items[1], items[3]
    assert [image.url for image in media.images] == [
        "https://hespress.example/wp-content/uploads/2026/05/102.jpg"
    ]
    assert media.images[0].caption.startswith("وكان البلدان")  # media:description
    assert [image.url for image in enclosure.images] == [
        "https://hespress.example/wp-content/uploads/2026/05/104.jpg"
    ]
    assert enclosure.images[0].caption == ""


def test_the_two_wordpress_feeds_share_exactly_one_story_by_normalised_link() -> None:
    main = {normalise_link(link) for link in by_link(parsed("wordpress-rss.xml"))}
    sport_feed = parsed("wordpress-rss-sport.xml")
    sport = {normalise_link(link) for link in by_link(sport_feed)}
    assert main & sport == {"https://hespress.example/sport/103.html"}
    shared = sport_feed.items[0]
    assert shared.link == "https://hespress.example/sport/103.html?utm_source=sport&utm_medium=rss"
    assert shared.guid == "https://hespress.example/?p=103"
    # the raw links differ, only the key is the same
    assert shared.link not in by_link(parsed("wordpress-rss.xml"))


def test_atom_entry_reads_id_html_content_summary_dates_author_and_category() -> None:
    feed = parsed("atom.xml")
    assert feed.title == "أخبار اليوم"
    entry = feed.items[0]
    assert entry.guid == "tag:akhbar.example,2026:entry-301"
    assert entry.link == "https://akhbar.example/a/301"
    assert entry.author == "مراسل أخبار"
    assert entry.categories == ("تقنية",)
    assert entry.published_at == datetime(2026, 5, 3, 8, 31, tzinfo=UTC)
    assert entry.updated_at == datetime(2026, 5, 3, 10, 31, tzinfo=UTC)
    assert entry.content_html.startswith("<p>") and "&lt;p&gt;" not in entry.content_html
    assert entry.summary_html.startswith("<p>") and entry.summary_html != entry.content_html


def test_atom_relative_link_and_picture_resolve_against_the_feeds_xml_base() -> None:
    entry = parsed("atom.xml", base_url="https://elsewhere.example/feed").items[1]
    assert entry.link == "https://akhbar.example/302"
    assert [image.url for image in entry.images] == ["https://akhbar.example/img/302.jpg"]
    assert entry.images[0].caption  # the img alt


def test_atom_media_thumbnail_is_the_entry_picture() -> None:
    entry = parsed("atom.xml").items[2]
    assert [image.url for image in entry.images] == ["https://akhbar.example/img/303-thumb.jpg"]


def test_json_feed_11_reads_authors_tags_image_attachments_and_text_content() -> None:
    feed = parsed("feed.json")
    assert feed.title == "جوهرة"
    first, second, third = feed.items[:3]
    assert first.guid == "https://jawhara.example/?p=401"
    assert first.link == "https://jawhara.example/news/401"
    assert first.author == "قسم الأخبار"
    assert first.categories == ("أخبار", "تونس")
    assert first.published_at == datetime(2026, 5, 4, 9, 31, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 5, 4, 11, 31, tzinfo=UTC)
    assert first.images == (FeedImage("https://jawhara.example/img/401.jpg"),)
    # image first, then image attachments with their titles; the audio one is left out
    assert [image.url for image in second.images] == [
        "https://jawhara.example/img/402.jpg",
        "https://jawhara.example/img/402-b.jpg",
    ]
    assert second.images[1].caption.startswith("وحدد المقال")
    # content_text becomes escaped paragraphs
    assert third.content_html.startswith("<p>") and third.content_html.count("<p>") == 3
    assert third.summary_html and "<" not in third.summary_html


def test_json_feed_10_reads_the_single_author_object_and_local_offsets() -> None:
    feed = parsed("feed-1.0.json")
    first = feed.items[0]
    assert first.guid == "451"
    assert first.author == "الصحافة"
    assert first.published_at == datetime(2026, 5, 5, 10, 31, tzinfo=UTC)
    assert first.updated_at is None
    assert first.summary_html == ""


def test_ninjs_2_list_reads_headlines_bodies_descriptions_by_subjects_and_pictures() -> None:
    feed = parsed("ninjs.json")
    assert feed.title is None
    first = feed.items[0]
    assert first.guid == first.link == "https://wakala.example/news/501"
    assert first.author == "وكالة الأنباء"
    assert first.categories == ("أخبار",)
    assert first.content_html.startswith("<p>")
    assert first.summary_html.startswith("<p>")
    assert first.published_at == datetime(2026, 5, 6, 11, 31, tzinfo=UTC)  # firstcreated
    assert first.updated_at == datetime(2026, 5, 6, 13, 31, tzinfo=UTC)  # versioncreated
    # the widest rendition of the picture association, with its caption
    assert [image.url for image in first.images] == [
        "https://wakala.example/media/501/original.jpg"
    ]
    assert first.images[0].caption.startswith("وجاء هذا الإعلان")


def test_ninjs_canceled_item_is_marked_and_the_others_are_not() -> None:
    items = parsed("ninjs.json").items
    assert [item.canceled for item in items] == [False, False, False, False, True]


def test_ninjs_single_item_is_a_feed_of_one() -> None:
    (item,) = parsed("ninjs-item.json").items
    assert item.guid == "https://wakala.example/news/601"
    assert item.images[0].url == "https://wakala.example/media/601/original.jpg"


def test_rss_091_items_have_title_link_description_and_date() -> None:
    feed = parsed("rss091.xml")
    assert feed.title == "الأخبار القديمة"
    item = feed.items[0]
    assert item.link == "https://qadima.example/news.php?id=701"
    assert item.guid is None
    assert item.content_html == ""
    assert item.summary_html
    assert item.published_at == datetime(2026, 5, 7, 17, 31, tzinfo=UTC)


def test_rss_10_reads_dublin_core_date_creator_subject_and_encoded_content() -> None:
    feed = parsed("rss10.xml")
    first, second = feed.items[:2]
    assert first.guid == first.link == "https://rdf-akhbar.example/801"
    assert first.author == "وكالة الأنباء"
    assert first.categories == ("تقنية",)
    assert first.published_at == datetime(2026, 5, 8, 18, 31, tzinfo=UTC)
    assert first.content_html.startswith("<p>")
    assert second.content_html == "" and second.summary_html


def test_no_item_link_appears_in_two_fixture_feeds_but_the_one_shared_story() -> None:
    seen: dict[str, str] = {}
    shared = []
    for path in sorted(FEEDS.glob("*")):
        if path.name.startswith("hostile") or path.suffix not in (".xml", ".json"):
            continue
        for item in parse_feed(path.read_bytes()).items:
            key = normalise_link(item.link or "")
            assert key is not None
            if key in seen:
                shared.append((seen[key], path.name, key))
            seen[key] = path.name
    assert shared == [
        ("wordpress-rss-sport.xml", "wordpress-rss.xml", "https://hespress.example/sport/103.html")
    ]


def test_fixtures_stay_small() -> None:
    sizes = {path.name: path.stat().st_size for path in FEEDS.iterdir()}
    assert len(sizes) >= 16
    assert max(sizes.values()) < 30_000
