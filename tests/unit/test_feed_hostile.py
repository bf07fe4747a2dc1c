"""Hostile and broken feeds: each refused with a message an operator can act on, nothing
expanded, fetched or run."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import feedparser
import pytest

from pipeline.sources.items import FeedError
from pipeline.sources.parse import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def refusal(body: bytes, content_type: str | None = None) -> str:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, content_type=content_type)
    return str(caught.value)


def test_external_entities_are_refused_before_anything_reads_them() -> None:
    message = refusal((FEEDS / "hostile-xxe.xml").read_bytes())
    assert "entity 'xxe'" in message and "file:///etc/passwd" in message
    assert "root:" not in message


def test_an_external_entity_pointing_at_a_url_is_refused_too() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY r PUBLIC "-//x//y" '
        b'"http://attacker.example/x">]><rss version="2.0"><channel><title>&r;</title>'
        b"</channel></rss>"
    )
    assert "http://attacker.example/x" in refusal(body)


def test_billion_laughs_is_refused_at_once_without_expanding() -> None:
    started = time.monotonic()
    message = refusal((FEEDS / "hostile-billion-laughs.xml").read_bytes())
    assert "entity 'lol'" in message
    assert time.monotonic() - started < 1


def test_feedparser_alone_never_reads_an_external_entity(tmp_path: Path) -> None:
    # Given a local file and a feed whose entity points at it
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<rss version="2.0"><channel><title>a &x;</title><item><title>&x;</title>'
        "<description>&x;</description></item></channel></rss>"
    ).encode()
    # When feedparser reads it directly, as it would if the check in front were gone
    result = feedparser.parse(io.BytesIO(body))
    # Then the file's content is nowhere in what it returns
    assert "TOPSECRET" not in repr(result)


def test_feedparser_is_only_handed_streams_never_bytes_it_could_take_for_a_file_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feed.xml"
    path.write_text('<rss version="2.0"><channel><title>local</title></channel></rss>')
    # feedparser itself would open a path given as bytes; parse_feed never lets it
    assert feedparser.parse(str(path).encode()).feed.get("title") == "local"
    assert "unknown format" in refusal(str(path).encode())


def test_bytes_invalid_in_the_declared_encoding_are_an_error_naming_byte_and_line() -> None:
    message = refusal((FEEDS / "hostile-invalid-encoding.xml").read_bytes())
    assert message == (
        "invalid encoding: byte 0xda at line 4 is not valid utf-8 (declared in the XML declaration)"
    )


def test_script_and_handlers_never_reach_titles_and_controls_are_dropped() -> None:
    feed = parse_feed((FEEDS / "hostile-script.xml").read_bytes())
    assert feed.title == "موجز"
    first, second = feed.items
    for text in (first.title, second.title):
        assert "script" not in text.lower() and "alert" not in text
        assert "onerror" not in text and "<" not in text
    assert first.title.startswith("مهلة قصيرة")
    assert "\u202e" not in second.title and "\u202c" not in second.title
    # mixed scripts stay as the outlet wrote them: that is text, not markup
    assert "Pаypal ١٢٣ 123" in second.title
    # content keeps no script, handler or javascript: link (nashr's validate sanitises again)
    for html_text in (first.content_html, first.summary_html):
        assert "<script" not in html_text and "alert(" not in html_text
        assert "onerror" not in html_text and "onclick" not in html_text
        assert "javascript:" not in html_text and "<iframe" not in html_text


def test_deeply_nested_json_is_refused_without_recursing() -> None:
    message = refusal((FEEDS / "hostile-deep.json").read_bytes())
    assert message == "refused: JSON nested 5001 levels deep (at most 64)"


def test_nesting_just_within_the_limit_is_read() -> None:
    item = {"uri": "https://a.example/1", "headline": "عنوان", "x": json.loads("[" * 60 + "]" * 60)}
    assert parse_feed(json.dumps(item).encode()).items[0].title == "عنوان"


def test_an_html_page_is_not_a_feed() -> None:
    message = refusal((FEEDS / "hostile-not-a-feed.html").read_bytes(), "text/html")
    assert message.startswith("not a feed: the address returned an HTML page")


def test_xhtml_with_an_xml_declaration_is_not_a_feed_either() -> None:
    body = b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
    assert refusal(body).startswith("not a feed")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty response: no feed in it"),
        (b"  \n\t ", "empty response: no feed in it"),
        (b"hello world", "unknown format: neither XML nor JSON (it begins 'hello world')"),
        (
            b'<rss version="2.0">\n<channel>\n<title>a</channel>\n</rss>',
            "parse error at line 3, column 11: mismatched tag",
        ),
        (
            b'<rss version="2.0"><channel><title>&nbsp;</title></channel></rss>',
            "parse error at line 1, column 36: undefined entity",
        ),
        (
            b"<opml><body/></opml>",
            "unknown format: XML whose root element <opml> is not RSS or Atom",
        ),
        (b'{\n "version": \n}', "JSON parse error at line 3, column 1: Expecting value"),
        (b'{"title": "x"}', "unknown format: JSON that is neither a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "JSON Feed without an `items` array"),
        (b'["a", "b"]', "unknown format: JSON that is neither a JSON Feed"),
        (b'{"uri": "x", "headline": "\xff"}', "invalid encoding: byte 0xff at line 1"),
        (b"[" + b"1" * 5000 + b"]", "JSON parse error"),
    ],
)
def test_every_failure_says_what_is_wrong(body: bytes, expected: str) -> None:
    assert refusal(body).startswith(expected)


def test_an_unknown_declared_encoding_is_named() -> None:
    body = b'<?xml version="1.0" encoding="klingon-8"?><rss version="2.0"/>'
    assert refusal(body) == (
        "invalid encoding: 'klingon-8' (declared in the XML declaration) is not an encoding"
    )


def test_undecodable_bytes_under_the_http_charset_are_an_error_too() -> None:
    body = '<rss version="2.0"><channel><title>عنوان</title></channel></rss>'.encode()
    message = refusal(body, "application/rss+xml; charset=us-ascii")
    assert message.startswith("invalid encoding: byte 0xd8 at line 1 is not valid us-ascii")
    assert "Content-Type" in message
