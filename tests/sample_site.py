"""A small published site, made through the real publish and rebuild path without workers: for
the tests that check what readers, crawlers and feed readers get (markup, feeds, sitemaps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.domain.models import CleanArticle, Image, Section, SourceLink, Submission, Tag
from pipeline.domain.states import Status, Step
from pipeline.services.runtime import Services

IMAGE_BASE = "https://images.news.example"
SECTIONS = ("politics", "economy", "sport", "culture", "technology", "society")
PARAGRAPHS = [
    "بدأ وفد من جهة سوس ماسة زيارة عمل إلى بلجيكا وفرنسا، للاطلاع على تجارب البلدين في الهجرة.",
    "وأوضح بلاغ أن الزيارة تهدف إلى الاطلاع على مبادرات الإدماج بعد الهجرة في التخطيط الترابي.",
    "ويضم الوفد منتخبين وممثلين عن المجتمع المدني والجامعة، حسب <strong>المصدر</strong> ذاته.",
]


@dataclass(frozen=True)
class Published:
    id: int
    title: str
    section: str
    tags: tuple[Tag, ...]


def sourced(
    services: Services,
    title: str,
    *,
    section: str = "politics",
    tags: tuple[Tag, ...] = (Tag(label="المغرب", slug="المغرب", kind="place"),),
    images: int = 1,
    external_id: str | None = None,
    breaking: bool = False,
    image_base: str = IMAGE_BASE,
) -> tuple[int, int]:
    """An article version moved to `sourced` through the real compare-and-set."""
    submission = Submission(
        title=title,
        body="\n\n".join(PARAGRAPHS),
        source_url="https://news.example/article?id=7",
        source_name="شبكة أندلس",
        external_id=external_id,
        breaking=breaking,
    )
    accepted = services.articles.accept(submission)
    clean = CleanArticle(
        title=title,
        paragraphs=PARAGRAPHS,
        source_url=submission.source_url,
        source_name=submission.source_name,
        images=[
            Image(url=f"{image_base}/{n}.jpg", caption=f"صورة {n} من الزيارة")
            for n in range(images)
        ],
        breaking=breaking,
    )
    link = SourceLink(url=submission.source_url, name=submission.source_name)
    steps: list[tuple[Step, Status, dict[str, Any]]] = [
        (Step.VALIDATE, Status.VALIDATED, {"content": clean.model_dump(mode="json")}),
        (
            Step.ENRICH,
            Status.ENRICHED,
            {
                "tags": [tag.model_dump(mode="json") for tag in tags],
                "section": Section(name=section, confidence=0.9).model_dump(mode="json"),  # type: ignore[arg-type]
            },
        ),
        (Step.SOURCE, Status.SOURCED, {"source": link.model_dump(mode="json")}),
    ]
    for step, target, fields in steps:
        assert services.articles.advance(accepted.id, accepted.version, step, target, **fields)
    return accepted.id, accepted.version


def publish(services: Services, ids: tuple[int, int]) -> None:
    record = services.articles.load(*ids)
    assert record is not None
    assert services.publisher.publish(record)


def build_site(services: Services, count: int = 8, image_base: str = IMAGE_BASE) -> list[Published]:
    """`count` live articles across the sections, two shared tags and one of their own each."""
    shared = Tag(label="المغرب", slug="المغرب", kind="place")
    published = []
    for n in range(count):
        section = SECTIONS[n % len(SECTIONS)]
        own = Tag(label=f"وسم {n}", slug=f"وسم-{n}")
        tags = (shared, own)
        title = f"خبر رقم {n} عن زيارة الوفد"
        ids = sourced(
            services, title, section=section, tags=tags, breaking=n == count - 1,
            image_base=image_base,
        )  # fmt: skip
        publish(services, ids)
        published.append(Published(ids[0], title, section, tags))
    services.listings.rebuild()
    return published
