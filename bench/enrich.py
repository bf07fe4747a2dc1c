"""The enrich step on the held-out fifth of the corpus, beside a naive baseline, in one run.

Run from the repository root: `.venv/bin/python bench/enrich.py [--corpus PATH] [--json]`.
The held-out split (scripts/corpus.py) is the articles no committed statistic or model has seen.
Baseline: the section every article would get from the commonest training label, and tags as
the 8 highest TF-IDF raw tokens (no stemming, no phrases, no clitics, no verbs filtered).
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.domain.models import CleanArticle, Tag
from pipeline.enrich import arabic
from pipeline.enrich.section import classify
from pipeline.enrich.step import Enrichment, Models, enrich
from pipeline.enrich.tags import article_terms
from pipeline.enrich.term_stats import TermStats
from scripts.corpus import DEFAULT_CORPUS, CorpusArticle, held_out_split, training_split
from scripts.section_report import macro_f1

SECTIONS = ("politics", "economy", "sport", "culture", "technology", "society")
EXAMPLES = 5
LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); from pipeline.enrich.step import Models; "
    "m = time.perf_counter(); Models.load(); e = time.perf_counter(); print(m - t, e - m)"
)
_PUNCTUATION = re.compile(r"[^\w\s]")


def clean_article(article: CorpusArticle) -> CleanArticle:
    """The corpus article as the validate step would hand it on (paragraphs are plain text)."""
    return CleanArticle(
        title=article.title.strip() or "-",
        paragraphs=article.paragraphs or ["-"],
        source_url="",
        source_name="",
    )


def tag_words(tags: list[Tag]) -> set[str]:
    return {arabic.stem(token) for tag in tags for token in arabic.tokenize(tag.label)}


def title_coverage(title: str, tags: list[Tag], terms: TermStats) -> float | None:
    """Share of the title's content words (as the tagger reads them: no stop word, filler,
    number or verb) whose stem is among the tags' words; None for a title without any."""
    words, _ = article_terms(title, terms)
    if not words:
        return None
    return len(words & tag_words(tags)) / len(words)


@dataclass
class Faults:
    punctuation: list[str] = field(default_factory=list)
    stop_edges: list[str] = field(default_factory=list)
    shared_stems: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)

    def check(self, tags: list[Tag], terms: TermStats) -> None:
        for tag in tags:
            tokens = arabic.tokenize(tag.label)
            if _PUNCTUATION.search(tag.label.replace(" ", "")):
                self.punctuation.append(tag.label)
            if not tokens or arabic.is_stop(tokens[0]) or arabic.is_stop(tokens[-1]):
                self.stop_edges.append(tag.label)
            if any(arabic.normalize(token) in terms.verbs for token in tokens):
                self.verbs.append(tag.label)
        stems = [tag_words([tag]) for tag in tags]
        for i, first in enumerate(stems):
            for j in range(i + 1, len(stems)):
                if first & stems[j]:
                    self.shared_stems.append(f"{tags[i].label} / {tags[j].label}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def cold_load_seconds(runs: int = 3) -> tuple[list[float], list[float]]:
    """Importing the step's code, then Models.load(), in a fresh interpreter each time: what a
    worker pays once, before its pool forks."""
    imports, loads = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, capture_output=True, text=True
        )
        first, second = out.stdout.strip().splitlines()[-1].split()
        imports.append(float(first))
        loads.append(float(second))
    return imports, loads


def baseline_tags(article: CleanArticle, terms: TermStats, limit: int = 8) -> list[Tag]:
    """TF-IDF over raw tokens: what a first attempt without Arabic morphology gives."""
    counts = Counter(
        arabic.normalize(token)
        for text in [article.title, *article.paragraphs]
        for token in arabic.tokenize(text)
        if not arabic.is_stop(token) and not arabic.is_number(token)
    )
    scored = sorted(counts, key=lambda w: -(1 + math.log(counts[w])) * terms.idf(arabic.stem(w)))
    return [Tag(label=w, slug=arabic.slugify(w)) for w in scored[:limit]]


def run(corpus: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    models = Models.load()
    held_out = held_out_split(corpus)
    commonest = Counter(a.section for a in training_split(corpus) if a.section).most_common(1)
    majority = commonest[0][0]
    articles = [(a, clean_article(a)) for a in held_out]
    for _, article in articles[:20]:  # warm the per-model caches, as a running worker has
        enrich(article, models)
    timings: list[float] = []
    results: list[tuple[CorpusArticle, Enrichment]] = []
    for source, article in articles:
        started = time.perf_counter()
        found = enrich(article, models)
        timings.append(time.perf_counter() - started)
        results.append((source, found))
    labelled: list[tuple[str, CorpusArticle, Enrichment]] = [
        (s.section, s, found) for s, found in results if s.section is not None
    ]
    argmax = [
        (gold, classify(s.title, s.paragraphs, models.sections, threshold=0.0).section)
        for gold, s, _ in labelled
    ]
    thresholded = [(gold, found.section.name) for gold, _, found in labelled]
    f1_argmax, per_class = macro_f1(argmax)
    f1_threshold, _ = macro_f1(thresholded)
    f1_majority, _ = macro_f1([(gold, majority) for gold, _, _ in labelled])
    coverage: list[float] = []
    coverage_tags_only: list[float] = []
    baseline_coverage: list[float] = []
    faults, baseline_faults = Faults(), Faults()
    counts: Counter[int] = Counter()
    for source, found in results:
        faults.check(found.tags, models.terms)
        counts[len(found.tags)] += 1
        base = baseline_tags(clean_article(source), models.terms)
        baseline_faults.check(base, models.terms)
        if not source.title.strip():
            continue
        share = title_coverage(source.title, found.all_tags, models.terms)
        if share is None:
            continue
        coverage.append(share)
        coverage_tags_only.append(title_coverage(source.title, found.tags, models.terms) or 0.0)
        baseline_coverage.append(title_coverage(source.title, base, models.terms) or 0.0)
    imports, loads = cold_load_seconds()
    sample = random.Random(7).sample(results, EXAMPLES)
    return {
        "corpus": str(corpus),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "held_out_articles": len(results),
        "with_section": len(labelled),
        "section": {
            "macro_f1_argmax": f1_argmax,
            "macro_f1_with_threshold": f1_threshold,
            "per_class_f1": per_class,
            "general_share": sum(1 for _, g in thresholded if g == "general") / len(labelled),
            "baseline_majority": {"section": majority, "macro_f1": f1_majority},
        },
        "tags": {
            "titled_articles": len(coverage),
            "title_coverage_tags_and_places": statistics.mean(coverage),
            "title_coverage_tags_only": statistics.mean(coverage_tags_only),
            "baseline_title_coverage": statistics.mean(baseline_coverage),
            "tags_per_article": dict(sorted(counts.items())),
            "places_per_article_mean": statistics.mean(len(f.places) for _, f in results),
            "faults": {k: len(v) for k, v in asdict(faults).items()},
            "fault_examples": {k: v[:5] for k, v in asdict(faults).items() if v},
            "baseline_faults": {k: len(v) for k, v in asdict(baseline_faults).items()},
        },
        "time_ms": {
            "p50": 1000 * percentile(timings, 0.5),
            "p90": 1000 * percentile(timings, 0.9),
            "p99": 1000 * percentile(timings, 0.99),
            "max": 1000 * max(timings),
        },
        "model_load_s": {"runs": loads, "max": max(loads)},
        "import_s": {"runs": imports, "max": max(imports)},
        "examples": [
            {
                "title": source.title,
                "label": source.label,
                **found.as_json(),
            }
            for source, found in sample
        ],
    }


def print_report(report: dict[str, Any]) -> None:
    section, tags, timing = report["section"], report["tags"], report["time_ms"]
    print(f"load average before / after: {report['load_average']}")
    print(f"held-out articles: {report['held_out_articles']} ({report['with_section']} labelled)")
    print()
    print(f"{'':36} {'nashr':>10} {'baseline':>10}")
    print(
        f"{'section macro-F1 (argmax)':36} {section['macro_f1_argmax']:>10.3f} "
        f"{section['baseline_majority']['macro_f1']:>10.3f}"
    )
    print(f"{'section macro-F1 (general = miss)':36} {section['macro_f1_with_threshold']:>10.3f}")
    print(
        f"{'title words among tags+places':36} {tags['title_coverage_tags_and_places']:>10.3f} "
        f"{tags['baseline_title_coverage']:>10.3f}"
    )
    print(f"{'title words among tags only':36} {tags['title_coverage_tags_only']:>10.3f}")
    for name in ("punctuation", "stop_edges", "shared_stems", "verbs"):
        print(
            f"{'tags with ' + name.replace('_', ' '):36} {tags['faults'][name]:>10} "
            f"{tags['baseline_faults'][name]:>10}"
        )
    print(
        f"{'enrich time p50 / p90 / p99 (ms)':36} "
        f"{timing['p50']:.2f} / {timing['p90']:.2f} / {timing['p99']:.2f}"
    )
    print(f"{'model load, cold (s, max of 3)':36} {report['model_load_s']['max']:>10.3f}")
    print(f"{'code import before it (s, max of 3)':36} {report['import_s']['max']:>10.3f}")
    print()
    print("per-class F1:", {k: round(v, 3) for k, v in section["per_class_f1"].items()})
    print("tags per article:", tags["tags_per_article"])
    print(f"share filed under general: {section['general_share']:.3f}")
    if tags["fault_examples"]:
        print("fault examples:", tags["fault_examples"])
    for example in report["examples"]:
        print()
        print(f"« {example['title']} »  (outlet label: {example['label']})")
        print(f"  section: {example['section']} ({example['confidence']:.2f})")
        print("  tags:   ", "، ".join(t["label"] for t in example["tags"]))
        print("  places: ", "، ".join(t["label"] for t in example["places"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    report = run(args.corpus)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
