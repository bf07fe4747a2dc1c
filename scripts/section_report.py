"""How a section model does on labelled articles: macro-F1, per-class F1, the confusion table.

Shared by `scripts/train_section.py` (the held-out report after training) and `bench/enrich.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.enrich.section import (
    DEFAULT_THRESHOLD,
    GENERAL,
    SECTIONS,
    SectionModel,
    classify,
)
from scripts.corpus import CorpusArticle


def labelled(articles: Iterable[CorpusArticle]) -> list[CorpusArticle]:
    """Articles with a section: `diverse` has none and says nothing about any."""
    return [a for a in articles if a.section is not None]


def macro_f1(pairs: Sequence[tuple[str, str]]) -> tuple[float, dict[str, float]]:
    """Mean F1 over the six sections; a `general` guess is a miss for its article's section."""
    per_class: dict[str, float] = {}
    for name in SECTIONS:
        tp = sum(1 for gold, guess in pairs if gold == name and guess == name)
        fp = sum(1 for gold, guess in pairs if gold != name and guess == name)
        fn = sum(1 for gold, guess in pairs if gold == name and guess != name)
        per_class[name] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return sum(per_class.values()) / len(SECTIONS), per_class


@dataclass(frozen=True)
class Report:
    """How a model does on labelled articles, argmax and with the `general` threshold."""

    articles: int
    threshold: float
    macro_f1: float
    """On the argmax: every article gets its likeliest section."""
    macro_f1_thresholded: float
    per_class_f1: dict[str, float] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    """gold -> guess -> count, argmax guesses."""
    general_share: float = 0.0
    """Share of articles the threshold files under `general`."""
    accuracy_kept: float = 0.0
    """Accuracy on the articles that keep a section under the threshold."""


def evaluate(
    model: SectionModel, articles: Iterable[CorpusArticle], threshold: float = DEFAULT_THRESHOLD
) -> Report:
    """Macro-F1, per-class F1 and confusion of `model` on the articles that have a section."""
    rows: list[tuple[str, str, float]] = []
    for article in labelled(articles):
        guess = classify(article.title, article.paragraphs, model, threshold=0.0)
        rows.append((article.section or "", guess.section, guess.confidence))
    thresholded = [(g, s if c >= threshold else GENERAL) for g, s, c in rows]
    f1, per_class = macro_f1([(g, s) for g, s, _ in rows])
    kept = [(g, s) for g, s in thresholded if s != GENERAL]
    confusion = {g: {s: 0 for s in (*SECTIONS, GENERAL)} for g in SECTIONS}
    for g, s, _ in rows:
        confusion[g][s] += 1
    return Report(
        articles=len(rows),
        threshold=threshold,
        macro_f1=f1,
        macro_f1_thresholded=macro_f1(thresholded)[0],
        per_class_f1=per_class,
        confusion=confusion,
        general_share=(len(rows) - len(kept)) / len(rows) if rows else 0.0,
        accuracy_kept=sum(g == s for g, s in kept) / len(kept) if kept else 0.0,
    )


def format_report(title: str, report: Report) -> str:
    lines = [
        f"{title}: {report.articles} articles",
        f"  macro-F1 argmax {report.macro_f1:.4f}; with threshold {report.threshold}: "
        f"{report.macro_f1_thresholded:.4f} (general {report.general_share:.1%}, "
        f"accuracy of the rest {report.accuracy_kept:.4f})",
        "  per class: " + ", ".join(f"{k} {v:.3f}" for k, v in report.per_class_f1.items()),
        "  gold \\ guess " + " ".join(f"{s[:6]:>6}" for s in (*SECTIONS, GENERAL)),
    ]
    for gold, row in report.confusion.items():
        lines.append(f"  {gold:12} " + " ".join(f"{n:>6}" for n in row.values()))
    return "\n".join(lines)
