"""Hostile markup submitted through the API never reaches a reader: pages, feeds, ticker."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.submissions import (
    IMG_ONERROR,
    JS_LINK,
    JS_URL,
    LRI,
    RLO,
    SCRIPT,
    article,
)
from tests.system import SEED_ARTICLE, running_system

pytestmark = pytest.mark.integration


# -- end to end: what readers get -------------------------------------------------------------

ATTACKS = f"{SCRIPT} {IMG_ONERROR} {JS_LINK} {RLO}"
FEEDS = ("/feeds/rss.xml", "/feeds/atom.xml")
ATOM = "{http://www.w3.org/2005/Atom}"
FORBIDDEN_IN_OUTPUT = ("<script>alert", "alert(1)", "onerror", "javascript:", RLO, LRI)


def _hostile_article() -> dict[str, Any]:
    return article(
        title=f"خبر {ATTACKS} عن الطقس",
        body=f"فقرة أولى {ATTACKS} نص.\n\n{SEED_ARTICLE['body']}\n\n{LRI}فقرة {JS_LINK} أخيرة",
        tags=[f"{SCRIPT}سياسة", f"{IMG_ONERROR}اقتصاد", f"{JS_LINK} طقس", f"{RLO}رياضة"],
        images=[{"url": "https://news.example/img/a.jpg", "caption": f"صورة {ATTACKS} الوفد"}],
        source_name=f"شبكة {ATTACKS} أندلس",
        category=f"{SCRIPT}محلي",
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _xml_texts(content: bytes) -> Iterator[str]:
    """Every text and attribute of a feed as a reader's parser sees it (entities decoded)."""
    for element in ET.fromstring(content).iter():
        yield from (element.text or "", element.tail or "", *element.attrib.values())


def _assert_clean(where: str, texts: list[str]) -> None:
    for text in texts:
        lowered = text.lower()
        for needle in FORBIDDEN_IN_OUTPUT:
            assert needle not in lowered, f"{needle!r} in {where}: {text[:300]!r}"
        for entity in ("&#x202e", "&#8238", "&#x2066", "&#8294"):
            assert entity not in lowered, f"{entity!r} in {where}"


def _entity_article() -> dict[str, Any]:
    """The same attacks spelled as entities: they decode to text, which must stay text."""
    encoded = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &#x202E;"
    return article(
        title=f"خبر {encoded} آخر",
        source_name=f"شبكة {encoded}",
        tags=[f"{encoded}وسم"],
        images=[{"url": "https://news.example/img/b.jpg", "caption": encoded}],
    )


def test_hostile_markup_never_reaches_readers(tmp_path: Path) -> None:
    with running_system(tmp_path, "embedded") as system:
        # Given a clean article, one carrying scripts, handlers, javascript: links and bidi
        # controls, and two with javascript: URLs
        clean = system.submit(SEED_ARTICLE)
        hostile = system.submit(_hostile_article())
        bad_source = system.submit(article(source_url=JS_URL))
        bad_image = system.submit(article(images=[{"url": JS_URL, "caption": "صورة"}]))

        # When they go through the whole chain
        clean_status = system.wait_for(clean["id"], "live")
        status = system.wait_for(hostile["id"], "live")

        # Then the javascript: URLs are rejected by name and never published
        for answer, field in ((bad_source, "source_url"), (bad_image, "images[0].url")):
            rejected = system.wait_for(answer["id"], "rejected")
            assert any(reason.startswith(f"{field}:") for reason in rejected["reasons"])
            assert system.get(rejected["urls"]["page"]).status_code == 404

        # And the page has only the site's own script, and no trace of the attacks
        clean_page = system.get(clean_status["urls"]["page"]).text
        page = system.get(status["urls"]["page"])
        assert page.status_code == 200
        # the page's own two: the image report and the live ticker
        assert page.text.count("<script>") == clean_page.count("<script>") == 2
        assert "الطقس" in page.text and "أندلس" in page.text
        _assert_clean("page", [page.text])

        # And neither the JSON, the feeds, the ticker nor the home page carry them, even decoded
        document = system.get(status["urls"]["json"])
        assert document.status_code == 200
        _assert_clean("article JSON", [document.text, *_strings(document.json())])
        for feed in FEEDS:
            response = system.get(feed)
            assert response.status_code == 200
            _assert_clean(feed, [response.text, *_xml_texts(response.content)])
        ticker = system.get("/ticker.json")
        assert hostile["id"] in [entry["id"] for entry in ticker.json()]
        _assert_clean("ticker", [ticker.text, *_strings(ticker.json())])
        home = system.get("/")
        assert f"/news/{hostile['id']}.html" in home.text
        _assert_clean("home", [home.text])

        # Given the same attacks spelled as entities, When that article goes live
        entities = system.submit(_entity_article())
        entity_status = system.wait_for(entities["id"], "live")

        # Then they are shown as text: escaped wherever they land, never markup
        entity_page = system.get(entity_status["urls"]["page"]).text
        assert entity_page.count("<script>") == 2
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entity_page
        for path in (entity_status["urls"]["json"], "/ticker.json", "/", *FEEDS):
            raw = system.get(path).text
            for needle in ("<script>alert", "<img src=x", RLO, "&#x202e"):
                assert needle not in raw.lower(), f"{needle!r} in {path}"
        for feed in FEEDS:
            root = ET.fromstring(system.get(feed).content)
            for content in root.iter(f"{ATOM}content"):
                assert "<script" not in (content.text or ""), content.text
                assert "<img src=x" not in (content.text or ""), content.text
