"""Browsing on the real databases: section pages and feeds, older pages that keep their
address and content, tags and sections that answer 410 once emptied, and sitemaps that follow
every takedown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from defusedxml import ElementTree
from sqlalchemy import select

from config.settings import Settings
from ingest.site import PublishedSite, Served
from pipeline.domain.models import Tag
from pipeline.services.runtime import Services, build_services
from pipeline.store.browse import known_tags
from pipeline.store.migrate import upgrade
from pipeline.store.schema import article_tags
from tests.sample_site import publish, sourced
from tests.services import postgres_database

pytestmark = pytest.mark.integration

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(params=["sqlite", "postgres"])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    with ExitStack() as stack:
        values: dict[str, object] = {"data_dir": tmp_path, "home_size": 3, "tag_size": 3}
        if request.param == "postgres":
            values["database_url"] = stack.enter_context(postgres_database())
        settings = Settings(**values)  # type: ignore[arg-type]
        upgrade(settings.database)
        built = build_services(settings)
        yield built
        built.close()


def site(services: Services) -> PublishedSite:
    return PublishedSite(services.outputs, services.pages, services.sitemaps, services.site)


def find(services: Services, path: str) -> Served | None:
    """As the API is asked for it: links carry percent-encoded slugs, routes see them decoded."""
    return site(services).find(unquote(path))


def text(services: Services, path: str) -> str:
    found = find(services, path)
    assert found is not None and found.status == 200, path
    return found.body.decode()


def articles_on(markup: str) -> list[int]:
    """Article ids in the page's listing, in order (the ticker is not part of it)."""
    main = markup.split('<main id="content"', 1)[1].split("</main>", 1)[0]
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/news/(\d+)\.html"', main)))


def older_of(markup: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', markup)
    return found.group(1) if found else None


def publish_many(services: Services, count: int, **kind: object) -> list[int]:
    ids: list[int] = []
    for n in range(count):
        made = sourced(services, f"خبر {len(ids)} {n} {kind}", **kind)  # type: ignore[arg-type]
        publish(services, made)
        ids.append(made[0])
    services.listings.rebuild()
    return ids


def test_older_pages_keep_their_address_and_content(services: Services) -> None:
    # Given seven articles and three to a page
    first = publish_many(services, 7)
    home = text(services, "/")
    assert articles_on(home) == first[::-1][:3]
    older = older_of(home)
    assert older == f"/archive/{first[4]}.html"
    page_two = articles_on(text(services, older))
    assert page_two == first[::-1][3:6]

    # When five more are published
    later = publish_many(services, 5)

    # Then the home page moved on, and the older page it linked to shows the same articles
    assert articles_on(text(services, "/")) == later[::-1][:3]
    assert articles_on(text(services, older)) == page_two
    # And the chain of older pages reaches the first article, each once
    seen, path = [], older_of(text(services, "/"))
    while path:
        markup = text(services, path)
        seen.extend(articles_on(markup))
        path = older_of(markup)
    assert sorted(seen) == sorted((first + later)[: len(first + later) - 3])


def test_tag_and_section_listings_page_too(services: Services) -> None:
    ids = publish_many(services, 5, section="economy")
    tag = quote("المغرب")
    for first_page in (f"/tags/{tag}.html", "/sections/economy.html"):
        markup = text(services, first_page)
        assert articles_on(markup) == ids[::-1][:3]
        older = older_of(markup)
        assert older is not None
        assert articles_on(text(services, older)) == ids[::-1][3:]
        assert older_of(text(services, older)) is None


def test_sections_get_pages_and_three_feeds(services: Services) -> None:
    [sport] = publish_many(services, 1, section="sport")
    for path, media in [
        ("/sections/sport.html", "text/html; charset=utf-8"),
        ("/feeds/sections/sport.xml", "application/rss+xml; charset=utf-8"),
        ("/feeds/sections/sport.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/sections/sport.json", "application/feed+json; charset=utf-8"),
    ]:
        found = find(services, path)
        assert found is not None and found.status == 200 and found.media_type == media
        assert f"/news/{sport}.html" in found.body.decode()
    assert "<h1>قسم: <bdi>رياضة</bdi></h1>" in text(services, "/sections/sport.html")
    # A section with nothing in it yet is gone, not a page saying there is nothing
    empty = find(services, "/sections/culture.html")
    assert empty is not None and empty.status == 410


def test_emptied_tags_and_sections_answer_410_and_leave_the_sitemaps(services: Services) -> None:
    # Given an article alone in its section and with a tag of its own, and one whose update
    # will drop a tag
    alone = Tag(label="وحيد", slug="وحيد")
    dropped = Tag(label="متروك", slug="متروك")
    lonely = sourced(services, "خبر وحيد", section="culture", tags=(alone,))
    changing = sourced(services, "خبر يتغير", external_id="changes", tags=(dropped,))
    for made in (lonely, changing):
        publish(services, made)
    services.listings.rebuild()
    for path in ("/tags/وحيد.html", "/tags/متروك.html", "/sections/culture.html"):
        assert find(services, path).status == 200  # type: ignore[union-attr]
    assert "/tags/%D9%88%D8%AD%D9%8A%D8%AF.html" in sitemap_urls(services)

    # When the first is taken down and the second updated without its tag
    services.takedowns.unpublish(lonely[0])
    publish(services, sourced(services, "خبر تغير", external_id="changes"))
    services.listings.rebuild()

    # Then their pages and feeds answer 410 with a notice, and the sitemaps leave them out
    for path in (
        "/tags/وحيد.html",
        "/feeds/tags/وحيد.xml",
        "/tags/متروك.html",
        "/feeds/tags/متروك.atom",
        "/sections/culture.html",
        "/feeds/sections/culture.json",
    ):
        found = find(services, path)
        assert found is not None and found.status == 410, path
        assert "لم تعد هذه الصفحة متاحة" in found.body.decode()
    urls = sitemap_urls(services)
    assert not [u for u in urls if "culture" in u or quote("وحيد") in u or quote("متروك") in u]
    assert f"/news/{lonely[0]}.html" not in " ".join(urls)
    assert f"/news/{changing[0]}.html" in " ".join(urls)
    # And a tag that never was is not found, not gone
    assert find(services, "/tags/لم-يكن.html") is None


def test_a_new_version_s_tags_replace_the_old_ones_row_for_row(services: Services) -> None:
    """The tag rows are the live version's: a tag it dropped goes, one it kept takes its new
    label and kind, a new one comes, and every one of them is remembered as having a page."""
    kept, dropped, added = (Tag(label=x, slug=x) for x in ("باق", "متروك", "جديد"))
    first = sourced(services, "خبر أول", external_id="retag", tags=(kept, dropped, dropped))
    publish(services, first)
    relabelled = Tag(label="باقٍ", slug=kept.slug, kind="place")
    second = sourced(services, "خبر ثان", external_id="retag", tags=(relabelled, added))
    publish(services, second)
    with services.articles.engine.connect() as db:
        rows = db.execute(
            select(article_tags.c.slug, article_tags.c.label, article_tags.c.kind)
            .where(article_tags.c.article_id == first[0])
            .order_by(article_tags.c.slug)
        ).all()
        known = set(db.execute(select(known_tags.c.slug)).scalars())
    assert [tuple(row) for row in rows] == sorted(
        [("باق", "باقٍ", "place"), ("جديد", "جديد", "topic")]
    )
    assert {"باق", "متروك", "جديد"} <= known


def sitemap_urls(services: Services) -> list[str]:
    index = ElementTree.fromstring(text(services, "/sitemap.xml").encode())
    urls: list[str] = []
    for loc in index.iter(f"{SM}loc"):
        path = (loc.text or "").removeprefix(services.site.base_url)
        urls.extend(
            (e.text or "").removeprefix(services.site.base_url)
            for e in ElementTree.fromstring(text(services, path).encode()).iter(f"{SM}loc")
        )
    return urls


def test_the_news_sitemap_keeps_only_two_days(services: Services) -> None:
    ids = publish_many(services, 2)
    now = datetime.now(UTC)
    recent = services.sitemaps.find("/news-sitemap.xml", now)
    assert recent is not None and all(f"/news/{i}.html".encode() in recent.body for i in ids)
    later = services.sitemaps.find("/news-sitemap.xml", now + timedelta(hours=49))
    assert later is not None and b"<url>" not in later.body
    # while the monthly sitemaps keep them
    assert all(f"/news/{i}.html" in " ".join(sitemap_urls(services)) for i in ids)


@pytest.mark.parametrize(
    "path",
    [
        "/archive/99999999.html",
        "/archive/9999999999.html",
        "/tags/" + "ا" * 5000 + ".html",
        "/tags/%00.html",
        "/archive/0.html",
        "/archive/-1.html",
        "/archive/99999999999999999999.html",
        "/sections/general.html",
        "/sections/<script>.html",
        "/sections/politics/abc.html",
        "/feeds/sections/..%2Fpolitics.xml",
        "/tags/\u202eevil.html",
        "/sitemaps/0000-01-1.xml",
        "/sitemaps/2026-13-1.xml",
        "/sitemaps/2026-12-0.xml",
        "/sitemaps/1999-01-1.xml",
        "/sitemaps/tags-0.xml",
        "/sitemaps/tags-9999.xml",
    ],
)
def test_addresses_that_name_nothing_are_not_found(services: Services, path: str) -> None:
    publish_many(services, 1)
    assert find(services, path) is None
