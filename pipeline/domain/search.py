"""What search passes between its layers: the analysed query, the filters, the indexed
document and the hits. Plain values: the store turns them into SQL, the render layer into HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PAGE_SIZE = 10
MAX_PAGE = 100
"""Pages past this are refused: nobody reads result 1,000, and deep offsets cost the most."""
MAX_RESULTS = PAGE_SIZE * MAX_PAGE
"""A query's results are its newest 1,000 matches, ranked: `total` counts up to this."""


@dataclass(frozen=True)
class SearchQuery:
    """A reader's query as nashr's own terms: every term must match, each phrase in order."""

    text: str
    """The query as searched: cut to its cap, invisible characters gone."""
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    notice: str | None = None
    """Why the query searches for less than was typed (only stop words, too long)."""

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def words(self) -> frozenset[str]:
        """Every term that counts as a match when a snippet is marked."""
        return frozenset(self.terms) | frozenset(t for phrase in self.phrases for t in phrase)


@dataclass(frozen=True)
class SearchFilters:
    section: str | None = None
    tag: str | None = None
    """A tag's slug."""
    since: datetime | None = None
    until: datetime | None = None
    """Naive UTC bounds on the first publication time, both inclusive."""


@dataclass(frozen=True)
class SearchDocument:
    """One live article as the index holds it, written in the publish transaction."""

    article_id: int
    version: int
    title: str
    section: str | None
    terms: str
    """nashr's terms in reading order, space-separated: positions make phrases work."""
    excerpt: str
    """The start of the visible text, marks removed, for snippets."""
    title_terms: str = ""
    lead_terms: str = ""
    """The headline's terms and the lead's (the first words of the body): what relevance
    weighs on PostgreSQL, small enough to rank thousands of matches in milliseconds."""


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str
    section: str | None
    published_at: datetime
    excerpt: str


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: list[SearchHit] = field(default_factory=list)


@dataclass(frozen=True)
class Segment:
    """A piece of a snippet; `marked` pieces are the words that matched."""

    text: str
    marked: bool


@dataclass(frozen=True)
class SearchResult:
    id: int
    title: str
    url: str
    """The article's path on the site."""
    published_at: datetime
    section: str | None
    snippet: tuple[Segment, ...]


@dataclass(frozen=True)
class SearchPage:
    """One page of answers to a query, as both the HTML page and the JSON show it."""

    query: SearchQuery
    total: int
    page: int
    results: list[SearchResult] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, -(-self.total // PAGE_SIZE))
