"""normalise_link: one key for one story, whatever decoration each feed adds to its link."""

from __future__ import annotations

import pytest

from pipeline.sources.links import normalise_link

KEY = "https://hespress.example/sport/103.html"


@pytest.mark.parametrize(
    "url",
    [
        "https://hespress.example/sport/103.html",
        "http://hespress.example/sport/103.html",
        "HTTPS://WWW.Hespress.Example/sport/103.html",
        "https://hespress.example:443/sport/103.html",
        "http://www.hespress.example:80/sport/103.html",
        "https://hespress.example/sport/103.html/",
        "https://hespress.example/sport/103.html#comments",
        "https://hespress.example/sport/103.html?utm_source=sport&utm_medium=rss",
        "https://hespress.example/sport/103.html?fbclid=abc&gclid=1#top",
        "  https://hespress.example/sport/103.html\u200f ",
        "https://hespress.example./sport/103.html",
    ],
)
def test_decorations_of_one_link_give_one_key(url: str) -> None:
    assert normalise_link(url) == KEY


def test_remaining_query_parameters_are_kept_and_sorted() -> None:
    assert normalise_link("https://a.example/news.php?page=2&id=7&utm_campaign=x") == (
        "https://a.example/news.php?id=7&page=2"
    )
    assert normalise_link("https://a.example/news.php?id=7") != normalise_link(
        "https://a.example/news.php?id=8"
    )


def test_a_non_default_port_and_the_path_case_still_tell_stories_apart() -> None:
    assert normalise_link("https://a.example:8443/x") == "https://a.example:8443/x"
    assert normalise_link("https://a.example/X") != normalise_link("https://a.example/x")


def test_percent_encoded_and_raw_arabic_paths_are_one_key() -> None:
    raw = normalise_link("https://a.example/أخبار/1")
    encoded = normalise_link("https://a.example/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/1")
    lower = normalise_link("https://a.example/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/1")
    assert raw == encoded == lower == "https://a.example/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/1"


def test_an_international_host_and_its_punycode_are_one_key() -> None:
    assert normalise_link("https://مثال.example/x") == normalise_link(
        "https://xn--mgbh0fb.example/x"
    )


def test_the_site_root_with_and_without_slash_is_one_key() -> None:
    assert normalise_link("https://a.example") == normalise_link("https://a.example/")
    assert normalise_link("https://a.example") == "https://a.example/"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/news/1",
        "news/1",
        "//a.example/news/1",
        "ftp://a.example/x",
        "javascript:alert(1)",
        "mailto:x@a.example",
        "https://user:pw@a.example/x",
        "https://a.example/a b",
        "https://a.example:99999/x",
    ],
)
def test_anything_but_an_absolute_http_url_has_no_key(url: str) -> None:
    assert normalise_link(url) is None
