"""Train `pipeline/enrich/data/section_model.json`: the section classifier
`pipeline.enrich.section` reads.

Two readings of each article, blended: complement naive Bayes (Rennie et al., 2003) over TF-IDF
stems and stem pairs, and a linear SVM over TF-IDF letter n-grams of the words. Each alone
cross-validates at about 0.88 macro-F1 on the training split; their blend, at about 0.89.
scikit-learn fits the SVM here, at build time only: the file holds plain weights.
Usage, from the repository root: python -m scripts.train_section [--search] [corpus.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.enrich.section import (
    FORMAT_VERSION,
    LETTERS,
    SECTIONS,
    WORDS,
    SectionModel,
    View,
    letter_features,
    word_features,
)
from scripts.corpus import (
    DEFAULT_CORPUS,
    PROVENANCE,
    CorpusArticle,
    held_out_split,
    training_split,
)
from scripts.section_report import evaluate, format_report, labelled, macro_f1

OUTPUT = (
    Path(__file__).resolve().parent.parent / "pipeline" / "enrich" / "data" / "section_model.json"
)
MAX_BYTES = 3_000_000
FOLDS = 5
REPEATS = 4
"""The search averages this many differently seeded 5-fold runs: one run's noise (about 0.005
macro-F1) is as large as the differences between settings."""
SIGNIFICANT = 3


@dataclass(frozen=True)
class Params:
    """Hyper-parameters, chosen by `--search` (5-fold cross-validation on the training split)."""

    alpha: float = 0.1
    """Additive smoothing of the naive Bayes complement counts."""
    title_weight: int = 1
    min_df: int = 2
    """A feature seen in fewer training articles is noise (and file size)."""
    max_features: int = 20_000
    """Stems kept by spread of weights times IDF: what a feature can move a score by, at most."""
    letter_title_weight: int = 2
    letter_features: int = 20_000
    """Letter n-grams kept, the most widespread first (file size and lookup time)."""
    svm_c: float = 1.0
    letter_share: float = 0.5
    """The letters' part of the blend, each reading first scaled to unit spread of scores."""


HEADER = {
    **PROVENANCE,
    "built_by": "scripts/train_section.py",
    "model": "two readings, each a sublinear TF-IDF vector (idf = ln((documents + 1) / "
    "(df + 1)) + 1) scaled to unit length and dotted with per-section weights: `words` "
    "(complement naive Bayes) and `letters` (linear SVM); the weights are centred per feature, "
    "scaled to blend the two and by a temperature fitted on cross-validation folds, so "
    "softmax(words logits + letters logits) is the probability",
    "keys": {
        "views.words.features": "stem (pipeline.enrich.arabic.stem) or two adjacent stems joined "
        "by a space -> [document frequency, weight per section in `sections` order]",
        "views.letters.features": "2 to 5 letters of a spelling-folded word padded with a "
        "space each side -> [document frequency, weight per section]",
    },
}


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def _fold(article: CorpusArticle, repeat: int = 0) -> int:
    """A fold by URL hash, salted so it is independent of the held-out split's hash."""
    salt = f"section-cv-{repeat}:".encode()
    digest = hashlib.sha256(salt + article.source_url.encode("utf-8")).digest()
    return digest[0] % FOLDS


@dataclass(frozen=True)
class Readings:
    """Both readings of every article, counted once: cross-validation reuses them."""

    words: list[Counter[str]]
    letters: list[Counter[str]]
    gold: list[str]

    @classmethod
    def of(cls, articles: Sequence[CorpusArticle], params: Params) -> Readings:
        return cls(
            [word_features(a.title, a.body, params.title_weight) for a in articles],
            [letter_features(a.title, a.body, params.letter_title_weight) for a in articles],
            [a.section or "" for a in articles],
        )


def _centred(rows: dict[str, list[float]]) -> dict[str, tuple[float, ...]]:
    """Each feature's weights minus their mean: the softmax is the same, the file smaller."""
    return {key: tuple(w - sum(row) / len(row) for w in row) for key, row in rows.items()}


def _document_frequency(docs: Sequence[Counter[str]]) -> Counter[str]:
    df: Counter[str] = Counter()
    for counts in docs:
        df.update(counts.keys())
    return df


def fit_words(docs: Sequence[Counter[str]], gold: Sequence[str], params: Params) -> View:
    """Complement NB: a section's weight for a feature is minus the log of its smoothed share
    of the other sections' TF-IDF mass, normalised, so small sections are not drowned."""
    df = _document_frequency(docs)
    vocab = sorted(key for key, n in df.items() if n >= params.min_df)
    reader = View(len(docs), {k: df[k] for k in vocab}, {}, params.title_weight)
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
    weights = _centred({key: [column[key] for column in columns] for key in vocab})
    reach = {key: (max(row) - min(row)) * reader.idf[key] for key, row in weights.items()}
    kept = sorted(vocab, key=lambda k: (-reach[k], k))[: params.max_features]
    return View(
        len(docs),
        {key: df[key] for key in kept},
        {key: weights[key] for key in kept},
        params.title_weight,
    )


def fit_letters(docs: Sequence[Counter[str]], gold: Sequence[str], params: Params) -> View:
    """A linear SVM (one against the rest, no intercept: the file has no place for one) over
    the most widespread letter n-grams."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.svm import LinearSVC

    df = _document_frequency(docs)
    common = [key for key, n in df.items() if n >= params.min_df]
    vocab = sorted(sorted(common, key=lambda k: (-df[k], k))[: params.letter_features])
    reader = View(len(docs), {k: df[k] for k in vocab}, {}, params.letter_title_weight)
    index = {key: i for i, key in enumerate(vocab)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for r, counts in enumerate(docs):
        for key, value in reader.vector(counts).items():
            rows.append(r)
            cols.append(index[key])
            values.append(value)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(docs), len(vocab)))
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    labels = np.array([SECTIONS.index(name) for name in gold])
    svm = LinearSVC(C=params.svm_c, fit_intercept=False, max_iter=10_000, random_state=0)
    svm = svm.fit(matrix, labels)
    coef = svm.coef_
    weights = _centred(
        {key: [float(coef[s, index[key]]) for s in range(len(SECTIONS))] for key in vocab}
    )
    return View(len(docs), reader.df, weights, params.letter_title_weight)


def _view_scores(view: View, counts: Counter[str]) -> list[float]:
    """Logits exactly as `pipeline.enrich.section` computes them; zeros for unreadable text."""
    return view.logits(counts, len(SECTIONS)) or [0.0] * len(SECTIONS)


def _spread(scored: Sequence[Sequence[float]]) -> float:
    """Standard deviation of scores around each article's mean: one reading's scale."""
    deviations = [s - sum(row) / len(row) for row in scored for s in row]
    return statistics.pstdev(deviations) or 1.0


@dataclass(frozen=True)
class Folds:
    """Out-of-fold scores of each reading, and the gold section index per article."""

    words: list[list[float]]
    letters: list[list[float]]
    gold: list[int]

    def blended(self, share: float) -> list[tuple[list[float], int]]:
        """Each reading scaled to unit spread, mixed `1 - share` : `share`."""
        w_scale, l_scale = self.scales(share)
        return [
            ([w * w_scale + x * l_scale for w, x in zip(ws, ls, strict=True)], g)
            for ws, ls, g in zip(self.words, self.letters, self.gold, strict=True)
        ]

    def scales(self, share: float) -> tuple[float, float]:
        return (1 - share) / _spread(self.words), share / _spread(self.letters)


def cross_validate(
    readings: Readings, articles: Sequence[CorpusArticle], params: Params, repeat: int = 0
) -> Folds:
    folds = [_fold(a, repeat) for a in articles]
    size = len(articles)
    words: list[list[float]] = [[] for _ in range(size)]
    letters: list[list[float]] = [[] for _ in range(size)]
    for k in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != k]
        gold = [readings.gold[i] for i in train]
        word_view = fit_words([readings.words[i] for i in train], gold, params)
        letter_view = fit_letters([readings.letters[i] for i in train], gold, params)
        for i in (i for i, f in enumerate(folds) if f == k):
            words[i] = _view_scores(word_view, readings.words[i])
            letters[i] = _view_scores(letter_view, readings.letters[i])
    return Folds(words, letters, [SECTIONS.index(g) for g in readings.gold])


def _argmax_f1(scored: Sequence[tuple[list[float], int]]) -> float:
    pairs = [(SECTIONS[g], SECTIONS[max(range(len(s)), key=s.__getitem__)]) for s, g in scored]
    return macro_f1(pairs)[0]


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


def _scaled(view: View, factor: float) -> View:
    """Weights times `factor`, rounded: the reading exactly as the JSON file holds it."""
    weights = {key: tuple(_round(w * factor) for w in row) for key, row in view.weights.items()}
    return View(view.documents, view.df, weights, view.title_weight)


def train(articles: Sequence[CorpusArticle], params: Params = Params()) -> SectionModel:
    """Both readings on all of `articles`, blended and calibrated on out-of-fold scores."""
    readings = Readings.of(articles, params)
    folds = cross_validate(readings, articles, params)
    temperature = _fit_temperature(folds.blended(params.letter_share))
    w_scale, l_scale = folds.scales(params.letter_share)
    words = fit_words(readings.words, readings.gold, params)
    letters = fit_letters(readings.letters, readings.gold, params)
    return SectionModel(
        SECTIONS, _scaled(words, w_scale * temperature), _scaled(letters, l_scale * temperature)
    )


def _features_json(view: View) -> str:
    """One feature per line, sorted, so the file diffs well and is the same every run."""
    rows = [
        json.dumps(key, ensure_ascii=False)
        + ":"
        + json.dumps([view.df[key], *row], separators=(",", ":"))
        for key, row in sorted(view.weights.items())
    ]
    return "{\n" + ",\n".join(rows) + "\n}"


def to_json(model: SectionModel) -> str:
    views = {WORDS: model.words, LETTERS: model.letters}
    bodies = {
        name: f'{{"title_weight": {view.title_weight}, "features": {_features_json(view)}}}'
        for name, view in views.items()
        if view is not None
    }
    body = "{\n" + ",\n".join(f'"{name}": {text}' for name, text in bodies.items()) + "\n}"
    version = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    head = {
        **HEADER,
        "format": FORMAT_VERSION,
        "version": f"{FORMAT_VERSION}.{version}",
        "sections": list(model.sections),
        "documents": model.words.documents,
    }
    header = json.dumps(head, ensure_ascii=False, indent=1, sort_keys=True)
    return header[:-2] + ',\n "views": ' + body + "\n}\n"


def repeated_cv(articles: Sequence[CorpusArticle], params: Params) -> dict[str, float]:
    """Mean macro-F1 of `REPEATS` differently seeded cross-validations, per reading and blend."""
    readings = Readings.of(articles, params)
    totals: defaultdict[str, float] = defaultdict(float)
    for r in range(REPEATS):
        folds = cross_validate(readings, articles, params, r)
        totals[WORDS] += _argmax_f1(list(zip(folds.words, folds.gold, strict=True)))
        totals[LETTERS] += _argmax_f1(list(zip(folds.letters, folds.gold, strict=True)))
        totals["blend"] += _argmax_f1(folds.blended(params.letter_share))
    return {name: total / REPEATS for name, total in totals.items()}


def search(articles: Sequence[CorpusArticle]) -> Params:
    """Grid search of the blend by cross-validated macro-F1 on the training split only."""
    best: tuple[float, Params] | None = None
    for kept in (20_000, 40_000):
        for share in (0.3, 0.4, 0.5, 0.6, 0.7):
            params = Params(letter_features=kept, letter_share=share)
            score = repeated_cv(articles, params)["blend"]
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
    cv = repeated_cv(articles, params)
    model = train(articles, params)
    text = to_json(model)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        print(f"section model is {size} bytes, over the {MAX_BYTES} cap", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    written = SectionModel.from_json(json.loads(text))
    letters = len(written.letters.weights) if written.letters else 0
    print(
        f"wrote {args.output} ({size} bytes, {len(written.words.weights)} stem and {letters} "
        f"letter features, {params})"
    )
    print(
        f"cross-validated macro-F1 on the training split ({REPEATS}x{FOLDS}): "
        + ", ".join(f"{name} {value:.4f}" for name, value in cv.items())
    )
    print(f"version {written.version}")
    print(format_report("held-out split", evaluate(written, held_out_split(args.corpus))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
