"""The ticker never shows a blank slot or the same headline twice, unlike the seed's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from pipeline.domain.models import PublishedArticle, SourceLink
from pipeline.render.ticker import (
    _headline_key,
    build_ticker,
    render_ticker_html,
    render_ticker_json,
)

SEED_TICKER = Path(__file__).parent.parent / "fixtures" / "seed-ticker.json"
T0 = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def _article(
    article_id: int, title: str, minutes_ago: int = 0, breaking: bool = False
) -> PublishedArticle:
    moment = T0 - timedelta(minutes=minutes_ago)
    return PublishedArticle(
        id=article_id,
        version=1,
        title=title,
        paragraphs=["نص"],
        source=SourceLink(url="https://news.example/a", name="مصدر"),
        breaking=breaking,
        published_at=moment,
        updated_at=moment,
    )


def _seed_candidates() -> list[PublishedArticle]:
    slots = json.loads(SEED_TICKER.read_text(encoding="utf-8"))["slots"]
    return [_article(i + 1, slot, minutes_ago=i) for i, slot in enumerate(slots)]


def test_seed_ticker_has_no_blank_and_no_repeat() -> None:
    # Given the seed page's 59 slots, four blank and one headline twice
    candidates = _seed_candidates()
    assert len(candidates) == 59

    # When they are the candidates for a ticker large enough to hold them all
    entries = build_ticker(candidates, size=100)

    # Then no slot is blank, no headline repeats, and only those five are gone
    headlines = [entry.headline for entry in entries]
    assert all(h.strip() for h in headlines)
    assert len(headlines) == len(set(headlines))
    assert headlines.count("المغرب يتولى رئاسة مؤتمر نزع السلاح بجنيف") == 1
    assert len(entries) == 59 - 4 - 1


def test_seed_ticker_keeps_newest_first_and_respects_size() -> None:
    entries = build_ticker(_seed_candidates())

    assert len(entries) == 20
    times = [entry.published_at for entry in entries]
    assert times == sorted(times, reverse=True)


def test_breaking_first_then_newest_first() -> None:
    candidates = [
        _article(1, "أحدث خبر", minutes_ago=0),
        _article(2, "خبر عاجل قديم", minutes_ago=30, breaking=True),
        _article(3, "خبر أقدم", minutes_ago=10),
        _article(4, "خبر عاجل جديد", minutes_ago=20, breaking=True),
    ]

    entries = build_ticker(candidates)

    assert [entry.id for entry in entries] == [4, 2, 1, 3]


def test_headlines_matching_after_arabic_normalisation_are_one() -> None:
    candidates = [
        _article(1, "المغرب  يتولّى رئاسة مؤتمر نزع السلاح بجنيف", minutes_ago=0),
        _article(2, "المغرب يتولى رئاسة مؤتمر نزع السـلاح بجنيف", minutes_ago=1),
        _article(3, "إعلان نتائج الإنتخابات", minutes_ago=2),
        _article(4, "اعلان نتائج الانتخابات", minutes_ago=3),
        _article(5, "مباراة في القاهرة", minutes_ago=4),
        _article(6, "مباراه في القاهره", minutes_ago=5),
        _article(7, "مستشفى جديد", minutes_ago=6),
        _article(8, "مستشفي جديد", minutes_ago=7),
    ]

    entries = build_ticker(candidates)

    assert [entry.id for entry in entries] == [1, 3, 5, 7]
    assert entries[0].headline == "المغرب يتولّى رئاسة مؤتمر نزع السلاح بجنيف"


def test_blank_and_invisible_headlines_are_dropped() -> None:
    candidates = [
        _article(1, ""),
        _article(2, "   \n\t "),
        _article(3, "\u200f\u200e\u2067"),
        _article(4, "\u0640\u064e"),
        _article(5, "خبر"),
    ]

    assert [entry.id for entry in build_ticker(candidates)] == [5]


def test_same_article_id_appears_once() -> None:
    candidates = [_article(1, "العنوان الجديد", 0), _article(1, "العنوان القديم", 5)]

    assert [entry.headline for entry in build_ticker(candidates)] == ["العنوان الجديد"]


def test_naive_and_aware_times_still_sort() -> None:
    naive = _article(1, "خبر أ", minutes_ago=5)
    naive.published_at = naive.published_at.replace(tzinfo=None)

    entries = build_ticker([naive, _article(2, "خبر ب", minutes_ago=0)])

    assert [entry.id for entry in entries] == [2, 1]


def test_headline_key_normalises_letters_and_marks() -> None:
    assert _headline_key("أإآ ى ة") == _headline_key("ااا ي ه")
    assert _headline_key("  كَتَبَ \n") == "كتب"


def test_ticker_json_shape() -> None:
    entries = build_ticker([_article(9, "خبر عاجل", breaking=True)])

    rows = json.loads(render_ticker_json(entries))

    assert rows == [
        {
            "id": 9,
            "headline": "خبر عاجل",
            "url": "/news/9.html",
            "published_at": "2025-03-15T12:00:00+00:00",
            "breaking": True,
        }
    ]


class _Fragment(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_ticker_html_is_a_linked_rtl_list() -> None:
    entries = build_ticker([_article(1, "خبر أول", 0), _article(2, "خبر ثان", 1, breaking=True)])

    parser = _Fragment()
    parser.feed(render_ticker_html(entries))

    assert parser.tags[0] == ("ul", {"class": "ticker", "dir": "rtl"})
    links = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert links == ["/news/2.html", "/news/1.html"]
    assert parser.text == ["خبر ثان", "خبر أول"]


def test_empty_ticker_renders_an_empty_list() -> None:
    assert render_ticker_html([]) == '<ul class="ticker" dir="rtl"></ul>'
    assert render_ticker_json([]) == "[]"


def test_hostile_headlines_are_escaped_everywhere() -> None:
    entries = build_ticker([_article(i + 1, payload, i) for i, payload in enumerate(XSS)])

    fragment = render_ticker_html(entries)
    as_json = render_ticker_json(entries)

    for payload in XSS:
        assert payload not in fragment
        assert payload not in as_json
    assert "<script" not in fragment and "<img" not in fragment
    assert [row["headline"] for row in json.loads(as_json)] == XSS


def test_ticker_link_is_never_off_site() -> None:
    entries = build_ticker([_article(1, "خبر")])
    entries[0].url = "javascript:alert(1)"

    assert "javascript:" not in render_ticker_html(entries)
