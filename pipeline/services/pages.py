"""Tag pages and tag feeds, rendered when a reader asks for them after they changed.

A burst of thousands of articles touches thousands of tags; rewriting each tag's page and two
feeds on every publish would cost more than publishing itself. Instead a tag's listing is one
indexed query for its newest N entries (their ids and when their fragments were rendered), and
the output is rendered from those fragments only when that list differs from the one this
process last rendered. So a tag is never staler than the database, costs nothing until it is
read, and costs the same at article 100,000 as at article 100.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pipeline.domain.errors import OutputUnavailable, TransientError
from pipeline.domain.models import ListingEntry, SiteInfo, Tag, tag_feed_paths, tag_path
from pipeline.domain.outputs import ATOM, HTML, RSS, Output
from pipeline.render import feeds
from pipeline.render.pages import render_tag_page
from pipeline.services.listings import record_damaged
from pipeline.store.listings import ListingStore
from pipeline.store.output_failures import OutputFailures

TagOutput = Literal["page", "rss", "atom"]


@dataclass(frozen=True)
class _Rendered:
    members: tuple[tuple[int, datetime], ...]
    output: Output


class ListingPages:
    """Per process: what it rendered last for each tag output, and from which entries."""

    def __init__(
        self,
        store: ListingStore,
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
        self._rendered: OrderedDict[tuple[str, TagOutput], _Rendered] = OrderedDict()

    def tag(self, slug: str, kind: TagOutput) -> Output | None:
        """The tag's page or feed as of now; None when no live article carries the tag."""
        key = (slug, kind)
        known = self._rendered.get(key)
        found = self.store.tag(slug, self.size, known.members if known else None)
        if found is None:
            return None
        record_damaged(self.failures, found.damaged)
        if found.entries is None and known is not None:
            self._rendered.move_to_end(key)
            return known.output
        try:
            output = self._render(Tag(label=found.label, slug=slug), kind, found.entries or [])
        except TransientError:
            raise
        except Exception as exc:  # recorded against this output; every other one is served
            self.failures.record(_path(slug, kind), f"{type(exc).__name__}: {exc}")
            raise OutputUnavailable(_path(slug, kind)) from exc
        self.failures.cleared([_path(slug, kind)])  # once per change: rendering is the rare case
        self._rendered[key] = _Rendered(found.members, output)
        if len(self._rendered) > self.cached:
            self._rendered.popitem(last=False)
        return output

    def _render(self, tag: Tag, kind: TagOutput, entries: list[ListingEntry]) -> Output:
        rss_path, atom_path = tag_feed_paths(tag.slug)
        title = f"{self.site.name}: {tag.label}"
        if kind == "page":
            page = render_tag_page(tag, entries, self.site)
            return Output.text(tag_path(tag.slug), page, HTML, ticker_slot=True)
        if kind == "rss":
            return Output(rss_path, feeds.rss(entries, self.site, quote(rss_path), title), RSS)
        return Output(atom_path, feeds.atom(entries, self.site, quote(atom_path), title), ATOM)


def _path(slug: str, kind: TagOutput) -> str:
    rss_path, atom_path = tag_feed_paths(slug)
    return {"page": tag_path(slug), "rss": rss_path, "atom": atom_path}[kind]
