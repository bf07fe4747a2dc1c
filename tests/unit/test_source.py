"""The source link: http(s) only, tracking dropped, everything else left as the source wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.models import SOURCE_LINK_LABEL, SOURCE_LINK_REL, Submission
from pipeline.domain.source import (
    attach_source,
    clean_source_url,
    http_url_problem,
    is_tracking_param,
)
from pipeline.domain.validate import validate

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-article.json"


def test_seed_source_link_loses_utm_parameters_and_carries_label_rel_and_name() -> None:
    # Given the seed article, whose source URL carries utm_source and utm_medium
    article = validate(Submission(**json.loads(SEED.read_text(encoding="utf-8"))))
    # When the source is attached
    link = attach_source(article)
    # Then the link is clean, labelled for readers and attributed
    assert link.url == "https://news.example/souss-delegation-belgium-france"
    assert link.label == SOURCE_LINK_LABEL == "انقر هنا لقراءة الخبر من مصدره"
    assert link.rel == SOURCE_LINK_REL == "nofollow noopener"
    assert link.name == "شبكة أندلس"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x?utm_source=feed&utm_medium=rss", "https://a.example/x"),
        ("https://a.example/x?UTM_Campaign=z&id=7", "https://a.example/x?id=7"),
        ("https://a.example/x?id=7&fbclid=abc&page=2", "https://a.example/x?id=7&page=2"),
        ("https://a.example/?gclid=1&dclid=2&msclkid=3&yclid=4&igshid=5", "https://a.example/"),
        (
            "https://a.example/?mc_cid=1&mc_eid=2&_ga=3&ref_src=twsrc&xtor=RSS-1",
            "https://a.example/",
        ),
        ("https://a.example/?FBCLID=1&b=2", "https://a.example/?b=2"),
        ("https://a.example/?utm%5Fsource=1&b=2", "https://a.example/?b=2"),
    ],
)
def test_clean_source_url_drops_tracking_parameters(url: str, expected: str) -> None:
    assert clean_source_url(url) == expected


def test_clean_source_url_keeps_other_parameters_in_order_and_spelling() -> None:
    url = "https://a.example/s?z=1&utm_source=x&a=%D8%AE%D8%A8%D8%B1&q=a+b&empty=&flag"
    assert clean_source_url(url) == (
        "https://a.example/s?z=1&a=%D8%AE%D8%A8%D8%B1&q=a+b&empty=&flag"
    )


def test_clean_source_url_lowercases_scheme_and_host_not_path() -> None:
    assert clean_source_url("HTTPS://News.Example/Path/A?X=1") == "https://news.example/Path/A?X=1"


def test_clean_source_url_drops_default_port_keeps_others() -> None:
    assert clean_source_url("https://a.example:443/x") == "https://a.example/x"
    assert clean_source_url("http://a.example:80/x") == "http://a.example/x"
    assert clean_source_url("http://a.example:8080/x") == "http://a.example:8080/x"
    assert clean_source_url("http://[2001:DB8::1]:8080/x") == "http://[2001:db8::1]:8080/x"


def test_clean_source_url_keeps_anchor_fragment_drops_tracking_fragment() -> None:
    assert clean_source_url("https://a.example/x#p3") == "https://a.example/x#p3"
    assert clean_source_url("https://a.example/x#utm_source=tw") == "https://a.example/x"
    assert clean_source_url("https://a.example/x#s=1&utm_source=tw") == "https://a.example/x#s=1"


def test_clean_source_url_accepts_idn_hosts() -> None:
    assert clean_source_url("https://مثال.مصر/خبر?utm_source=x") == "https://مثال.مصر/خبر"


def test_clean_source_url_strips_controls_and_surrounding_space() -> None:
    assert clean_source_url("  https://a.example/\u202ex \n") == "https://a.example/x"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://a.example/x",
        "mailto:x@a.example",
        "//a.example/x",
        "/relative/path",
        "a.example/x",
        "https://",
        "https:///path",
        "http://:80/",
        "",
        "   ",
        "https://a.example:99999/",
        "https://a.example:port/",
        "https://[::1/",
        "https://user:pass@a.example/",
        "https://good.example@evil.example/",
        "https://a.example/x y",
        'https://a.example/"onmouseover="x',
        "https://a.example\\@evil.example/",
        "https://a.example/<script>",
    ],
)
def test_clean_source_url_rejects_anything_but_absolute_http(url: str) -> None:
    with pytest.raises(ArticleRejected) as caught:
        clean_source_url(url)
    assert caught.value.reasons[0].startswith("source_url: ")
    assert http_url_problem(url.strip()) is not None


def test_is_tracking_param_knows_prefixes_and_names_in_any_case() -> None:
    assert is_tracking_param("utm_term")
    assert is_tracking_param("Utm_Content")
    assert is_tracking_param("gclid")
    assert not is_tracking_param("id")
    assert not is_tracking_param("ref")
    assert not is_tracking_param("utm")


_QUERY_PARTS = st.sampled_from(
    ["utm_source=x", "UTM_MEDIUM=y", "fbclid=1", "id=2", "a=b=c", "q=%20", "", "x", "=", "ref=3"]
)


@given(
    st.lists(_QUERY_PARTS, max_size=8).map("&".join),
    st.sampled_from(["", "p1", "utm_source=z", "a=1&gclid=2"]),
)
def test_clean_source_url_is_idempotent_and_leaves_no_tracking(query: str, fragment: str) -> None:
    url = f"https://a.example/x?{query}#{fragment}"
    once = clean_source_url(url)
    assert clean_source_url(once) == once
    assert "utm_" not in once.lower()
    assert "clid" not in once
