"""The pages' Content-Security-Policy lets every script the templates ship run, and no other."""

from __future__ import annotations

import pytest

from pipeline.domain.models import Tag
from pipeline.render.entries import listing_entry
from pipeline.render.pages import (
    render_article_page,
    render_gone,
    render_home,
    render_not_found,
    render_tag_page,
    render_unavailable,
)
from pipeline.render.policy import content_security_policy, inline_scripts, script_hash
from tests.unit.test_site import SITE, _article


def _pages() -> dict[str, str]:
    article = _article()
    entry = listing_entry(article, SITE)
    return {
        "article": render_article_page(article, SITE),
        "home": render_home([entry], SITE),
        "tag": render_tag_page(Tag(label="الهجرة", slug="الهجرة"), [entry], SITE),
        "404": render_not_found(SITE),
        "410": render_gone(SITE),
        "503": render_unavailable(SITE),
    }


@pytest.mark.parametrize("kind", sorted(_pages()))
def test_every_inline_script_of_every_page_is_allowed_by_its_hash(kind: str) -> None:
    policy = content_security_policy()
    page = _pages()[kind]
    for code in inline_scripts(page):
        assert script_hash(code) in policy, f"{kind}: an inline script the policy would block"


def test_the_article_page_has_scripts_and_the_policy_names_each_one() -> None:
    scripts = inline_scripts(_pages()["article"])
    assert len(scripts) >= 2  # the live ticker and the report button
    assert all(script_hash(code) in content_security_policy() for code in scripts)


def test_an_injected_script_is_not_allowed() -> None:
    injected = "alert(document.cookie)"
    assert script_hash(injected) not in content_security_policy()
    assert "'unsafe-inline'" not in content_security_policy().split("script-src")[1].split(";")[0]


def test_script_sources_and_json_data_blocks_are_not_inline_scripts() -> None:
    markup = (
        '<script src="/a.js"></script><script type="application/ld+json">{"a": 1}</script>'
        "<script>run()</script>"
    )
    assert inline_scripts(markup) == ["run()"]


def test_the_policy_keeps_the_page_to_its_own_origin() -> None:
    directives = dict(part.strip().split(" ", 1) for part in content_security_policy().split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"] == "'self'"
