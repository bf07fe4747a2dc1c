"""The values that travel between steps: what an editor submits and what each step adds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

MAX_ARTICLE_ID = 2**31 - 1
"""Ids are 32-bit integers in the database; a larger one cannot name an article."""
MAX_TAGS = 50
MAX_IMAGES = 20

SOURCE_LINK_LABEL = "انقر هنا لقراءة الخبر من مصدره"
SOURCE_LINK_REL = "nofollow noopener"


def is_article_id(value: int) -> bool:
    """Whether `value` can name an article: ids are positive and fit the column."""
    return 0 < value <= MAX_ARTICLE_ID


SectionName = Literal["politics", "economy", "sport", "culture", "technology", "society", "general"]


class ImageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: StrictStr = Field(max_length=2048)
    caption: StrictStr = Field(default="", max_length=1000)


class Submission(BaseModel):
    """An article as an editor sends it: the shape is checked here, the content by `validate`."""

    model_config = ConfigDict(extra="forbid")

    title: StrictStr
    body: StrictStr
    source_url: StrictStr = Field(max_length=2048)
    source_name: StrictStr = Field(max_length=200)
    tags: list[StrictStr] = Field(default_factory=list, max_length=MAX_TAGS)
    category: StrictStr | None = Field(default=None, max_length=100)
    images: list[ImageIn] = Field(default_factory=list, max_length=MAX_IMAGES)
    external_id: StrictStr | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    )
    breaking: StrictBool = False
    language: Literal["ar"] = "ar"
    publish_at: AwareDatetime | None = None
    """Embargo: not shown anywhere before this moment (with its UTC offset, e.g. `+01:00`)."""
    section: SectionName | None = None
    """The section to file it under, instead of the one the enrich step would guess."""
    source_published_at: AwareDatetime | None = None
    """When the source published it (a feed item's own time): shown beside nashr's."""

    @field_validator("publish_at", "source_published_at", mode="before")
    @classmethod
    def _moment_as_text(cls, value: object) -> object:
        """An ISO 8601 string only: a bare number could be seconds or milliseconds."""
        if value is None or isinstance(value, (str, datetime)):
            return value
        raise ValueError("must be an ISO 8601 date and time with its UTC offset")


class Image(BaseModel):
    url: str
    caption: str = ""
    hidden: bool = False


class CleanArticle(BaseModel):
    """A submission that passed `validate`: normalised text, sanitised paragraphs."""

    title: str
    paragraphs: list[str]
    """Each paragraph is a sanitised HTML fragment (inline markup only), safe to embed."""
    source_url: str
    source_name: str
    editor_tags: list[str] = Field(default_factory=list)
    category: str | None = None
    images: list[Image] = Field(default_factory=list)
    breaking: bool = False
    publish_at: datetime | None = None
    """In UTC; the `source` step holds the version in `scheduled` until then."""
    section: SectionName | None = None
    source_published_at: datetime | None = None
    """In UTC."""


SECTION_LABELS: dict[str, str] = {
    "politics": "سياسة",
    "economy": "اقتصاد",
    "sport": "رياضة",
    "culture": "ثقافة",
    "technology": "تكنولوجيا",
    "society": "مجتمع",
    "general": "عام",
}
"""How readers see each section name."""


class Section(BaseModel):
    """The section the enrich step files an article under; `general` when it is not sure."""

    name: SectionName = "general"
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)

    @property
    def label(self) -> str:
        return SECTION_LABELS[self.name]


class Tag(BaseModel):
    label: str
    """As readers see it: the spelling in the text, or the editor's."""
    slug: str
    """Normalised, URL-safe key: the same tag always gets the same slug."""
    kind: Literal["topic", "place", "editor"] = "topic"


class SourceLink(BaseModel):
    url: str
    """http(s) only, tracking parameters dropped."""
    name: str
    label: str = SOURCE_LINK_LABEL
    rel: str = SOURCE_LINK_REL


class SiteInfo(BaseModel):
    base_url: str = "http://127.0.0.1:8000"
    name: str = "نشر"
    description: str = "آخر الأخبار"
    timezone: str = "Africa/Casablanca"
    """Readers' time zone: dates on pages are shown in its local time."""
    websub_hub: str | None = None
    """The WebSub hub the site's feeds name, if any."""


class PublishedArticle(BaseModel):
    """Everything a page, a feed entry or a ticker slot needs about one live article."""

    id: int
    version: int
    title: str
    paragraphs: list[str]
    tags: list[Tag] = Field(default_factory=list)
    """Editor, topic and place tags in the order a reader sees them."""
    section: Section | None = None
    images: list[Image] = Field(default_factory=list)
    source: SourceLink
    breaking: bool = False
    category: str | None = None
    published_at: datetime
    """First publication; never changes, so feed order and GUIDs stay put."""
    updated_at: datetime
    source_published_at: datetime | None = None
    """When the source published it (an aggregated item), shown beside nashr's time."""

    @property
    def path(self) -> str:
        return article_path(self.id)

    @property
    def json_path(self) -> str:
        return article_json_path(self.id)


class ListingEntry(BaseModel):
    """One live article as every listing shows it, rendered once per version (and again only
    when its images change): listings are made by joining these, never by rendering articles."""

    id: int
    version: int
    title: str
    published_at: datetime
    updated_at: datetime
    breaking: bool = False
    section: Section | None = None
    tags: list[Tag] = Field(default_factory=list)
    image: Image | None = None
    """The first image readers may see: the lead picture in listings, the feeds' enclosure."""
    summary: str
    """Plain text, for feed descriptions."""
    card_html: str
    """The article's entry in an HTML listing (home, tag and section pages)."""
    entry_html: str
    """The article's body as feeds carry it, up to the feed entry cap."""
    source_url: str = ""
    rendered_at: datetime | None = None
    """When these fragments were written: with `id`, what a listing built from them depends on."""

    @property
    def path(self) -> str:
        return article_path(self.id)


class TickerEntry(BaseModel):
    id: int
    headline: str
    url: str
    published_at: datetime
    breaking: bool = False


SITE_FEEDS = {"rss": "/feeds/rss.xml", "atom": "/feeds/atom.xml", "json": "/feeds/feed.json"}
"""The site-wide feeds' paths: every page links them, every rebuild writes them."""


def article_path(article_id: int) -> str:
    return f"/news/{article_id}.html"


def article_json_path(article_id: int) -> str:
    return f"/news/{article_id}.json"


def tag_path(slug: str) -> str:
    return f"/tags/{slug}.html"


def tag_feed_paths(slug: str) -> tuple[str, str]:
    """RSS and Atom for one tag."""
    return f"/feeds/tags/{slug}.xml", f"/feeds/tags/{slug}.atom"


SECTION_NAMES: tuple[SectionName, ...] = (
    "politics", "economy", "sport", "culture", "technology", "society",
)  # fmt: skip
"""The sections that get pages and feeds (`general` is where uncertain articles go)."""


def section_path(name: str) -> str:
    return f"/sections/{name}.html"


def section_feed_paths(name: str) -> tuple[str, str, str]:
    """RSS, Atom and JSON Feed for one section."""
    return (
        f"/feeds/sections/{name}.xml",
        f"/feeds/sections/{name}.atom",
        f"/feeds/sections/{name}.json",
    )


def archive_path(older_than: int) -> str:
    """The site's articles published before article `older_than`: a page whose address and
    content stay put however much is published after it."""
    return f"/archive/{older_than}.html"


def tag_archive_path(slug: str, older_than: int) -> str:
    return f"/tags/{slug}/{older_than}.html"


def section_archive_path(name: str, older_than: int) -> str:
    return f"/sections/{name}/{older_than}.html"
