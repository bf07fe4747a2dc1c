"""The XSS corpus through every field: through the pure pipeline payload by payload, then end to
end through a real worker. Whatever is accepted must come out inert in every view readers get
(page, article JSON, feeds, tag pages, ticker, home); what is refused must leave no file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline.domain.errors import ArticleRejected
from tests.security.inert import (
    BAD_SCHEMES,
    assert_inert_feed,
    assert_inert_json,
    assert_inert_page,
)
from tests.security.pure import own_scripts, run
from tests.security.xss import (
    BASE,
    TEXT_FIELDS,
    TEXT_VARIANTS,
    URL_FIELDS,
    URL_VARIANTS,
    Payload,
    assert_rendered_inert,
    load_corpus,
    with_fields,
)
from tests.system import running_system, served_paths

CORPUS = load_corpus()
OUTCOMES: Counter[str] = Counter()
"""published/rejected per field and variant, over the whole corpus (for the report)."""

FAMILIES = {
    "script tag": "<script",
    "onerror": "onerror",
    "onload": "onload",
    "javascript URL": "javascript:",
    "mixed-case javascript": "JaVaScRiPt:",
    "data URL": "data:",
    "vbscript URL": "vbscript:",
    "entity-encoded scheme": "&#106;",
    "whitespace in scheme": "java\tscript:",
    "svg": "<svg",
    "iframe": "<iframe",
    "object": "<object",
    "css expression": "expression(",
    "css url(javascript:)": "url(javascript:",
    "style element": "<style>",
    "meta refresh": 'http-equiv="refresh"',
    "base href": "<base",
    "attribute breakout": '" onmouseover="',
    "template injection": "{{",
    "unicode escape": "\\u003c",
    "null byte": "\x00",
}


def test_the_corpus_covers_every_family() -> None:
    texts = [payload.text for payload in CORPUS]
    for family, marker in FAMILIES.items():
        assert any(marker in text for text in texts), f"no {family} payload in the corpus"
    assert len(CORPUS) >= 100


def _is_script_url(text: str) -> bool:
    squashed = re.sub(r"[\x00-\x20\x7f]+", "", text).lower()
    return squashed.startswith(BAD_SCHEMES) or squashed.startswith("//")


def _publish_or_reject(fields: list[str], text: str, where: str) -> None:
    """Publish with `text` in all `fields`; if refused, try each field alone, so a rejection
    in one field never hides what another would have let through."""
    try:
        rendered = run(with_fields(fields, text))
    except ArticleRejected as rejected:
        assert rejected.reasons and all(":" in r for r in rejected.reasons), rejected.reasons
        if len(fields) > 1:
            for field in fields:
                _publish_or_reject([field], text, where)
        else:
            OUTCOMES[f"{fields[0]} rejected"] += 1
        return
    assert_rendered_inert(rendered, f"{where} in {'+'.join(fields)}")
    for field in fields:
        OUTCOMES[f"{field} published"] += 1


@pytest.mark.parametrize("payload", CORPUS, ids=[payload.name for payload in CORPUS])
def test_no_payload_survives_the_pure_pipeline_in_any_field(payload: Payload) -> None:
    # Given the payload as sent and wrapped in Arabic text, in every text field at once
    for variant, shape in TEXT_VARIANTS.items():
        _publish_or_reject(list(TEXT_FIELDS), shape(payload.text), f"{payload.name}/{variant}")
    # And as, or inside, each URL field
    for variant, shape in URL_VARIANTS.items():
        for field in URL_FIELDS:
            _publish_or_reject([field], shape(payload.text), f"{payload.name}/{variant}")


@pytest.mark.parametrize("field", list(URL_FIELDS))
@pytest.mark.parametrize(
    "payload",
    [p for p in CORPUS if _is_script_url(p.text)],
    ids=[p.name for p in CORPUS if _is_script_url(p.text)],
)
def test_script_urls_are_rejected_by_name_not_just_neutralised(
    payload: Payload, field: str
) -> None:
    with pytest.raises(ArticleRejected) as rejected:
        run(with_fields([field], payload.text))
    named = "images[0].url" if field == "image_url" else "source_url"
    assert any(reason.startswith(f"{named}:") for reason in rejected.value.reasons)


def test_outcome_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: every text field published some payloads, inert.

    A sanitiser that rejected everything would pass the corpus tests above; this one
    fails it, and prints how many injections were published or rejected.
    """
    if not OUTCOMES:
        pytest.skip("run with the corpus tests to get figures")
    for field in TEXT_FIELDS:
        assert OUTCOMES[f"{field} published"] > 0, f"no payload in {field} was ever published"
    with capsys.disabled():
        tried = sum(OUTCOMES.values())
        print(f"\nXSS corpus: {len(CORPUS)} payloads, {tried} field injections:", end=" ")
        print(", ".join(f"{key}={value}" for key, value in sorted(OUTCOMES.items())))


# -- end to end -------------------------------------------------------------------------------


def _chunks(items: list[Payload], size: int) -> list[list[Payload]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _carrier(payloads: list[Payload], number: int) -> dict[str, Any]:
    """One accepted article carrying many payloads: a paragraph, a tag and a caption each."""
    first = payloads[0].text
    return BASE | {
        "title": f"خبر {number} {first[:120]} عاجل",
        "body": "\n\n".join(f"فقرة {p.text} نص" for p in payloads) + "\n\n" + BASE["body"],
        "tags": [f"وسم {p.text[:80]}" for p in payloads],
        "images": [
            {"url": f"https://news.example/img/{number}-{i}.jpg", "caption": f"صورة {p.text}"}
            for i, p in enumerate(payloads[:20])
        ],
        "source_name": f"وكالة {first[:150]}",
        "category": f"محلي {first[:80]}",
        "breaking": number % 2 == 0,
    }


SECTION_OUTPUTS = ("/sections/", "/feeds/sections/")


@pytest.mark.integration
def test_the_corpus_end_to_end_leaves_nothing_executable(tmp_path: Path) -> None:
    carried = _chunks(CORPUS, 20)
    script_urls = [p for p in CORPUS if _is_script_url(p.text)][:4]
    with running_system(tmp_path, "embedded") as system:
        # Given articles carrying the whole corpus in their text fields, and some whose image
        # or source URL is a script URL
        accepted = [system.submit(_carrier(chunk, n)) for n, chunk in enumerate(carried)]
        refused = [
            system.submit(with_fields([field], payload.text))
            for payload in script_urls
            for field in URL_FIELDS
        ]

        # When the worker has been through all of them
        live = [system.wait_for(answer["id"], "live") for answer in accepted]
        rejected = [system.wait_for(answer["id"], "rejected") for answer in refused]

        # Then no rejected article has an output, by path or by id in any listing
        for status in rejected:
            assert status["reasons"]
            assert system.get(status["urls"]["page"]).status_code == 404
            assert system.get(status["urls"]["json"]).status_code == 404

        # And every output the site serves is inert: pages, JSON, feeds, tag pages, ticker
        paths = served_paths(system)
        assert any(path.endswith(".atom") for path in paths)
        for where in paths:
            answer = system.get(where)
            # a section no article is filed under is gone, with the same inert page
            assert answer.status_code == 200 or where.startswith(SECTION_OUTPUTS), where
            raw = answer.content
            if answer.status_code == 410:
                assert_inert_page(raw.decode("utf-8"), where, own_scripts())
            elif where.endswith((".xml", ".atom")):
                assert_inert_feed(raw, where)  # sitemaps too: their URLs must be safe
            elif where.endswith(".json"):
                assert_inert_json(raw.decode("utf-8"), where)
            elif where == "/ticker.html":
                document = assert_inert_page(raw.decode("utf-8"), where, ())
                assert not list(document.iter("style"))
            elif where.endswith(".html") or where == "/":
                assert_inert_page(raw.decode("utf-8"), where, own_scripts())
            elif where == "/robots.txt":
                assert answer.headers["content-type"] == "text/plain; charset=utf-8"
            else:
                raise AssertionError(f"an unexpected output in the site: {where}")
            for status in rejected:
                assert f"/news/{status['id']}." not in raw.decode("utf-8"), where

        # And the pages are served as written, with the site's own two scripts
        for status in live:
            page = system.get(status["urls"]["page"])
            assert page.status_code == 200
            assert_inert_page(page.text, status["urls"]["page"], own_scripts())
            assert page.text.count("<script>") == 2
            assert page.text.count('<script type="application/ld+json">') == 1
