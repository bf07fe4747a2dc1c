"""The enrich step's whole answer: places, topic tags and the section, offline, from the text.

Places are found first so that a topic never repeats one ("فرنسا" is a place, not a topic);
an editor's tag wins over both, in the editor's own spelling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from pipeline.domain.models import CleanArticle, Section, Tag
from pipeline.enrich import arabic
from pipeline.enrich.places import Gazetteer, find_places
from pipeline.enrich.section import DEFAULT_THRESHOLD, SectionModel, classify
from pipeline.enrich.tags import extract_tags
from pipeline.enrich.term_stats import TermStats

DEFAULT_SECTION_THRESHOLD = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Models:
    """Everything the step reads from `pipeline/enrich/data/`, loaded once per process."""

    terms: TermStats
    gazetteer: Gazetteer
    sections: SectionModel

    @classmethod
    def load(cls) -> Models:
        return _load_models()


@functools.cache
def _load_models() -> Models:
    return Models(TermStats.load(), Gazetteer.load(), SectionModel.load())


class Enrichment(BaseModel):
    section: Section
    tags: list[Tag] = Field(default_factory=list)
    """Editor tags first, then topics."""
    places: list[Tag] = Field(default_factory=list)

    @property
    def all_tags(self) -> list[Tag]:
        """As stored and shown on the page: every tag links to its listing, places included."""
        return self.tags + self.places

    def as_json(self) -> dict[str, Any]:
        """What `nashr tag` prints and `GET /articles/{id}` shows."""
        return {
            "section": self.section.name,
            "confidence": self.section.confidence,
            "tags": [tag.model_dump(mode="json") for tag in self.tags],
            "places": [tag.model_dump(mode="json") for tag in self.places],
        }


def _places(article: CleanArticle, gazetteer: Gazetteer, editor: dict[str, str]) -> list[Tag]:
    """Places in the gazetteer's spelling, or the editor's where the editor tagged the place."""
    found = find_places(article.title, article.paragraphs, gazetteer)
    return [
        Tag(label=editor.get(place.slug, place.label), slug=place.slug, kind="place")
        for place in found
    ]


def enrich(
    article: CleanArticle,
    models: Models | None = None,
    section_threshold: float = DEFAULT_SECTION_THRESHOLD,
) -> Enrichment:
    """Tags (5–8 when the text allows), places and the section for one clean article."""
    models = models if models is not None else Models.load()
    editor = {
        arabic.slugify(arabic.clean_label(raw)): arabic.clean_label(raw)
        for raw in article.editor_tags
    }
    places = _places(article, models.gazetteer, editor)
    place_slugs = {place.slug for place in places}
    tags = [
        tag
        for tag in extract_tags(article, models.terms, taken=places)
        if tag.slug not in place_slugs
    ]
    if article.section is not None:  # the editor's (or the source's) choice
        section = Section(name=article.section, confidence=1.0)
    else:
        guess = classify(
            article.title, article.paragraphs, models.sections, threshold=section_threshold
        )
        section = Section.model_validate(
            {"name": guess.section, "confidence": round(guess.confidence, 4)}
        )
    return Enrichment(section=section, tags=tags, places=places)
