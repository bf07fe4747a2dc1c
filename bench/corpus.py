"""The benchmarks' workload: every article of the corpus as an editor would submit it.

Each article keeps its own title and body, so tags overlap as they do in real news, rather than
one article sent N times. The corpus is read from `../shared/corpus/` (or `--corpus`): it is a
build-and-measure input, never part of the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "ant-train.jsonl"


def corpus_submissions(path: Path = DEFAULT_CORPUS) -> list[dict[str, Any]]:
    """One `POST /articles` body per corpus line, in the corpus's order."""
    submissions = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            paragraphs = [p.strip() for p in article["body"].split("\n") if p.strip()]
            submissions.append(
                {
                    "title": " ".join(article["title"].split()),
                    "body": "\n\n".join(paragraphs),
                    "source_url": article["source_url"],
                    "source_name": article["source"],
                    "language": "ar",
                }
            )
    return submissions


def reused(submissions: list[dict[str, Any]], count: int, tag: str) -> list[dict[str, Any]]:
    """`count` submissions cycling through the corpus, each a new article (its own external_id)."""
    return [submissions[i % len(submissions)] | {"external_id": f"{tag}-{i}"} for i in range(count)]
