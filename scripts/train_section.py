"""Train `pipeline/data/section_model.json`, the section classifier `pipeline.section` reads.

Complement naive Bayes (Rennie et al., 2003) over TF-IDF stems and stem pairs: the best of the
linear models tried by cross-validation on the training split, and trainable without numpy.
Usage, from the repository root: python -m scripts.train_section [--search] [corpus.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.section import (
    DEFAULT_THRESHOLD,
    FORMAT_VERSION,
    GENERAL,
    SECTIONS,
    SectionModel,
    classify,
    features,
)
from scripts.corpus import DEFAULT_CORPUS, CorpusArticle, held_out_split, training_split

OUTPUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "section_model.json"
MAX_BYTES = 1_500_000
FOLDS = 5
REPEATS = 4
"""The search averages this many differently seeded 5-fold runs: one run's noise (about 0.005
macro-F1) is as large as the differences between settings."""
SIGNIFICANT = 3


@dataclass(frozen=True)
class Params:
    """Hyper-parameters, chosen by `--search` (5-fold cross-validation on the training split)."""

    alpha: float = 0.1
    """Additive smoothing of the complement counts."""
    title_weight: int = 1
    min_df: int = 2
    """A feature seen in fewer training articles is noise (and file size)."""
    max_features: int = 20_000
    """Kept by spread of weights times IDF: what a feature can move a score by, at most."""


HEADER = {
    "source": "ANT Corpus v1.1 and v2.1 multi-source (training split, scripts/corpus.py)",
    "citation": (
        "A. Chouigui, O. Ben Khiroun, B. Elayeb, ANT Corpus: An Arabic News Text Collection "
        "for Textual Classification, AICCSA 2017"
    ),
    "licence": "Apache-2.0",
    "built_by": "scripts/train_section.py",
    "model": "complement naive Bayes over sublinear TF-IDF (idf = ln((documents + 1) / "
    "(df + 1)) + 1), L2-normalised; weights centred per feature and scaled by a temperature "
    "fitted on cross-validation folds, so softmax(sum(tfidf * weight)) is the probability",
    "keys": {
        "features": "stem (pipeline.arabic.stem) or two adjacent stems joined by a space -> "
        "[document frequency, logit weight per section in `sections` order]",
    },
}


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def _fold(article: CorpusArticle, repeat: int = 0) -> int:
    """A fold by URL hash, salted so it is independent of the held-out split's hash."""
    salt = f"section-cv-{repeat}:".encode()
    digest = hashlib.sha256(salt + article.source_url.encode("utf-8")).digest()
    return digest[0] % FOLDS


def labelled(articles: Iterable[CorpusArticle]) -> list[CorpusArticle]:
    """Articles with a section: `diverse` has none and says nothing about any."""
    return [a for a in articles if a.section is not None]


def article_features(article: CorpusArticle, title_weight: int) -> Counter[str]:
    return features(article.title, "\n".join(article.paragraphs), title_weight)


def fit(docs: Sequence[Counter[str]], gold: Sequence[str], params: Params) -> SectionModel:
    """Complement NB: a section's weight for a feature is minus the log of its smoothed share
    of the other sections' TF-IDF mass, normalised, so small sections are not drowned."""
    df: Counter[str] = Counter()
    for counts in docs:
        df.update(counts.keys())
    vocab = sorted(key for key, n in df.items() if n >= params.min_df)
    reader = SectionModel(SECTIONS, len(docs), {k: df[k] for k in vocab}, {}, params.title_weight)
    mass = {name: Counter[str]() for name in SECTIONS}
    for counts, name in zip(docs, gold, strict=True):
        mass[name].update(reader.vector(counts))
    total = Counter[str]()
    for name in SECTIONS:
        total.update(mass[name])
    columns: list[dict[str, float]] = []
    for name in SECTIONS:
        other = {key: total[key] - mass[name][key] + params.alpha for key in vocab}
        denominator = sum(other.values())
        minus_log = {key: -math.log(other[key] / denominator) for key in vocab}
        scale = len(vocab) / sum(minus_log.values())
        columns.append({key: w * scale for key, w in minus_log.items()})
    weights: dict[str, tuple[float, ...]] = {}
    for key in vocab:
        row = [column[key] for column in columns]
        mean = sum(row) / len(row)
        weights[key] = tuple(w - mean for w in row)
    reach = {key: (max(row) - min(row)) * reader.idf[key] for key, row in weights.items()}
    kept = sorted(vocab, key=lambda k: (-reach[k], k))[: params.max_features]
    return SectionModel(
        SECTIONS,
        len(docs),
        {key: df[key] for key in kept},
        {key: weights[key] for key in kept},
        params.title_weight,
    )


def _calibrated(model: SectionModel, temperature: float) -> SectionModel:
    """Weights times the temperature, rounded: the model exactly as the JSON file holds it."""
    weights = {
        key: tuple(_round(w * temperature) for w in row) for key, row in model.weights.items()
    }
    return SectionModel(model.sections, model.documents, model.df, weights, model.title_weight)


def _fit_temperature(scored: Sequence[tuple[list[float], int]]) -> float:
    """The softmax scale that minimises log loss on held-back folds (golden-section on log T)."""

    def loss(log_t: float) -> float:
        t = math.exp(log_t)
        total = 0.0
        for scores, gold in scored:
            top = max(scores)
            log_z = math.log(sum(math.exp(t * (s - top)) for s in scores))
            total -= t * (scores[gold] - top) - log_z
        return total

    low, high = math.log(0.1), math.log(1000.0)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loss(a) < loss(b):
            high = b
        else:
            low = a
    return math.exp((low + high) / 2)


def cross_validate(
    articles: Sequence[CorpusArticle], params: Params, repeat: int = 0
) -> tuple[list[tuple[list[float], int]], float]:
    """Out-of-fold scores and macro-F1 of their argmax, over `FOLDS` folds of `articles`."""
    docs = [article_features(a, params.title_weight) for a in articles]
    folds = [_fold(a, repeat) for a in articles]
    gold = [SECTIONS.index(a.section or "") for a in articles]
    scored: list[tuple[list[float], int]] = []
    for k in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != k]
        model = fit([docs[i] for i in train], [SECTIONS[gold[i]] for i in train], params)
        for i in (i for i, f in enumerate(folds) if f == k):
            scored.append((model.scores(model.vector(docs[i])), gold[i]))
    pairs = [(SECTIONS[g], SECTIONS[max(range(len(s)), key=s.__getitem__)]) for s, g in scored]
    return scored, macro_f1(pairs)[0]


def train(articles: Sequence[CorpusArticle], params: Params = Params()) -> SectionModel:
    """The model on all of `articles`, its temperature fitted on out-of-fold scores."""
    scored, _ = cross_validate(articles, params)
    docs = [article_features(a, params.title_weight) for a in articles]
    model = fit(docs, [a.section or "" for a in articles], params)
    return _calibrated(model, _fit_temperature(scored))


def to_json(model: SectionModel) -> str:
    """One feature per line, sorted, so the file diffs well and is the same every run."""
    rows = [
        json.dumps(key, ensure_ascii=False)
        + ":"
        + json.dumps([model.df[key], *row], separators=(",", ":"))
        for key, row in sorted(model.weights.items())
    ]
    body = "{\n" + ",\n".join(rows) + "\n}"
    version = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    head = {
        **HEADER,
        "format": FORMAT_VERSION,
        "version": f"{FORMAT_VERSION}.{version}",
        "sections": list(model.sections),
        "documents": model.documents,
        "title_weight": model.title_weight,
    }
    header = json.dumps(head, ensure_ascii=False, indent=1, sort_keys=True)
    return header[:-2] + ',\n "features": ' + body + "\n}\n"


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


def repeated_cv(articles: Sequence[CorpusArticle], params: Params) -> float:
    """Mean macro-F1 over `REPEATS` differently seeded cross-validations."""
    return sum(cross_validate(articles, params, r)[1] for r in range(REPEATS)) / REPEATS


def search(articles: Sequence[CorpusArticle]) -> Params:
    """Grid search by cross-validated macro-F1 on the training split only."""
    best: tuple[float, Params] | None = None
    for title_weight in (1, 2, 3):
        for min_df in (2, 3):
            for alpha in (0.05, 0.1, 0.2, 0.3):
                params = Params(alpha=alpha, title_weight=title_weight, min_df=min_df)
                score = repeated_cv(articles, params)
                print(f"cv macro-F1 {score:.4f}  {params}", flush=True)
                if best is None or score > best[0]:
                    best = (score, params)
    assert best is not None
    print(f"best: {best[0]:.4f}  {best[1]}")
    return best[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--search", action="store_true", help="grid-search by CV and stop")
    args = parser.parse_args(argv)
    articles = labelled(training_split(args.corpus))
    if args.search:
        search(articles)
        return 0
    params = Params()
    cv_f1 = repeated_cv(articles, params)
    model = train(articles, params)
    text = to_json(model)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        print(f"section model is {size} bytes, over the {MAX_BYTES} cap", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    written = SectionModel.from_json(json.loads(text))
    print(f"wrote {args.output} ({size} bytes, {len(written.weights)} features, {params})")
    print(f"cross-validated macro-F1 on the training split ({REPEATS}x{FOLDS}): {cv_f1:.4f}")
    print(f"version {written.version}")
    print(format_report("held-out split", evaluate(written, held_out_split(args.corpus))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
