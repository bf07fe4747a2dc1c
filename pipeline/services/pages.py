"""Tag and section pages and feeds, and the older pages of every listing, rendered when a reader
asks for them after they changed.

A burst of thousands of articles touches thousands of tags; rewriting each tag's page and feeds
on every publish would cost more than publishing itself. Instead a listing is one indexed query
for its newest N entries (their ids and when their fragments were rendered), and the output is
rendered from those fragments only when that list differs from the one this process last
rendered. So a listing is never staler than the database, costs nothing until it is read, and
costs the same at article 100,000 as at article 100. A tag or section that no live article
carries any more answers 410 Gone.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from pipeline.domain.errors import OutputUnavailable, TransientError
from pipeline.domain.models import (
    SECTION_LABELS,
    SECTION_NAMES,
    ListingEntry,
    SiteInfo,
    Tag,
    archive_path,
    is_article_id,
    section_archive_path,
    tag_archive_path,
    tag_feed_paths,
    tag_path,
)
from pipeline.domain.outputs import ATOM, HTML, JSON_FEED, RSS, Output
from pipeline.enrich.arabic import SLUG_MAX_BYTES
from pipeline.render import feeds
from pipeline.render.pages import render_gone, render_home, render_section_page, render_tag_page
from pipeline.services.listings import record_damaged
from pipeline.store.browse import BrowseStore, Members, Page, Scope
from pipeline.store.output_failures import OutputFailures

ListingFormat = Literal["page", "rss", "atom", "json"]
TagOutput = ListingFormat

_SECTION = "(" + "|".join(SECTION_NAMES) + ")"
_ROUTES: list[tuple[re.Pattern[str], str, ListingFormat]] = [
    (re.compile(r"^/tags/([^/]+)\.html$"), "tag", "page"),
    (re.compile(r"^/tags/([^/]+)/([0-9]{1,10})\.html$"), "tag", "page"),
    (re.compile(r"^/feeds/tags/([^/]+)\.xml$"), "tag", "rss"),
    (re.compile(r"^/feeds/tags/([^/]+)\.atom$"), "tag", "atom"),
    (re.compile(rf"^/sections/{_SECTION}\.html$"), "section", "page"),
    (re.compile(rf"^/sections/{_SECTION}/([0-9]{{1,10}})\.html$"), "section", "page"),
    (re.compile(rf"^/feeds/sections/{_SECTION}\.xml$"), "section", "rss"),
    (re.compile(rf"^/feeds/sections/{_SECTION}\.atom$"), "section", "atom"),
    (re.compile(rf"^/feeds/sections/{_SECTION}\.json$"), "section", "json"),
    (re.compile(r"^/archive/()([0-9]{1,10})\.html$"), "site", "page"),
]


@dataclass(frozen=True)
class Wanted:
    scope: Scope
    format: ListingFormat
    older_than: int | None
    path: str


def route(path: str) -> Wanted | None:
    """Which listing output a path names, if any: never one with an id no article can have or
    a slug no tag can have (too long, or with a character the database cannot hold)."""
    for pattern, kind, fmt in _ROUTES:
        if found := pattern.match(path):
            key = found.group(1)
            older = int(found.group(2)) if found.lastindex == 2 else None
            if older is not None and not is_article_id(older):
                return None
            if kind == "tag" and not _possible_slug(key):
                return None
            scope = Scope(tag=key) if kind == "tag" else Scope(section=key or None)
            return Wanted(scope, fmt, older, path)
    return None


def _possible_slug(key: str) -> bool:
    return len(key.encode("utf-8", "surrogatepass")) <= SLUG_MAX_BYTES and key.isprintable()


@dataclass(frozen=True)
class _Rendered:
    members: Members
    more: bool
    output: Output


class ListingPages:
    """Per process: what it rendered last for each listing output, and from which entries."""

    def __init__(
        self,
        store: BrowseStore,
        failures: OutputFailures,
        site: SiteInfo,
        size: int,
        cached: int = 2048,
    ) -> None:
        self.store = store
        self.failures = failures
        self.site = site
        self.size = size
        self.cached = cached
        self._rendered: OrderedDict[str, _Rendered] = OrderedDict()

    def tag(self, slug: str, kind: TagOutput) -> Output | None:
        """A tag's page or feed as of now (410 once no live article carries it)."""
        rss_path, atom_path = tag_feed_paths(slug)
        path = {"page": tag_path(slug), "rss": rss_path, "atom": atom_path}[kind]
        return self.find(path)

    def find(self, path: str) -> Output | None:
        """The listing output at `path` as of now; None when the path names none."""
        wanted = route(path)
        if wanted is None:
            return None
        known = self._rendered.get(path)
        found = self.store.page(
            wanted.scope, self.size, wanted.older_than, known.members if known else None
        )
        if found is None:
            return None
        record_damaged(self.failures, found.damaged)
        if not found.members:
            return self._gone(wanted)
        if found.entries is None and known is not None and known.more == found.more:
            self._rendered.move_to_end(path)
            return known.output
        entries = found.entries
        if entries is None:  # same members, but whether an older page exists changed
            found = self.store.page(wanted.scope, self.size, wanted.older_than, None)
            if found is None or not found.members:
                return self._gone(wanted)
            entries = found.entries or []
        try:
            output = self._render(wanted, found, entries)
        except TransientError:
            raise
        except Exception as exc:  # recorded against this output; every other one is served
            self.failures.record(path, f"{type(exc).__name__}: {exc}")
            raise OutputUnavailable(path) from exc
        self.failures.cleared([path])  # once per change: rendering is the rare case
        self._rendered[path] = _Rendered(found.members, found.more, output)
        if len(self._rendered) > self.cached:
            self._rendered.popitem(last=False)
        return output

    def _gone(self, wanted: Wanted) -> Output | None:
        """A first page with nothing on it: 410 for a tag that had pages and for a section,
        not found for anything else."""
        scope = wanted.scope
        if wanted.older_than is not None:
            return None
        if scope.tag is not None and not self.store.tag_known(scope.tag):
            return None
        if scope.tag is None and scope.section is None:
            return None
        page = render_gone(self.site, listing=True)
        return Output.text(wanted.path, page, HTML, status=410, ticker_slot=True)

    def _render(self, wanted: Wanted, found: Page, entries: list[ListingEntry]) -> Output:
        scope, path, site = wanted.scope, wanted.path, self.site
        older_than = wanted.older_than
        last = found.members[-1][0]
        if scope.tag is not None:
            tag = Tag(label=found.label, slug=scope.tag)
            title = f"{site.name}: {tag.label}"
            older = tag_archive_path(quote(scope.tag, safe=""), last) if found.more else None
            if wanted.format == "page":
                page = render_tag_page(tag, entries, site, older, older_than)
                return Output.text(path, page, HTML, ticker_slot=True)
            rss_path, atom_path = tag_feed_paths(scope.tag)
            self_path = quote(rss_path if wanted.format == "rss" else atom_path)
        elif scope.section is not None:
            name = scope.section
            title = f"{site.name}: {SECTION_LABELS[name]}"
            older = section_archive_path(name, last) if found.more else None
            if wanted.format == "page":
                page = render_section_page(name, entries, site, older, older_than)
                return Output.text(path, page, HTML, ticker_slot=True)
            self_path = path
        else:
            older = archive_path(last) if found.more else None
            page = render_home(entries, site, older, older_than)
            return Output.text(path, page, HTML, ticker_slot=True)
        if wanted.format == "rss":
            return Output(path, feeds.rss(entries, site, self_path, title), RSS)
        if wanted.format == "atom":
            return Output(path, feeds.atom(entries, site, self_path, title), ATOM)
        return Output.text(path, feeds.json_feed(entries, site, self_path, title), JSON_FEED)
