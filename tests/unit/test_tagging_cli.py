"""`nashr tag`: one article or a JSON Lines file, offline, one answer per line in order."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ops.cli import app
from tests.services import ROOT

SEED = ROOT / "examples" / "seed-article.json"


def run(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, ["tag", *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_one_article_prints_section_tags_and_places(tmp_path: Path) -> None:
    code, out, _ = run(str(SEED))
    assert code == 0
    answer = json.loads(out[0])
    assert set(answer) == {"section", "confidence", "tags", "places"}
    assert "فرنسا" in [p["label"] for p in answer["places"]]


def test_jsonl_answers_every_line_in_order_and_flags_bad_ones(tmp_path: Path) -> None:
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    sport = {"title": "المنتخب يفوز على منافسه", "body": "فاز المنتخب الوطني لكرة القدم."}
    lines = [
        json.dumps(seed, ensure_ascii=False),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"title": 5, "body": "x"}),
        json.dumps({"title": "", "body": "نص"}, ensure_ascii=False),
        "",
        json.dumps(sport, ensure_ascii=False),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run("--jsonl", str(source))
    assert code == 1 and "5 line(s)" in err
    answers = [json.loads(line) for line in out]
    assert len(answers) == len(lines)
    assert "places" in answers[0] and "places" in answers[-1]
    assert [a.get("line") for a in answers[1:6]] == [2, 3, 4, 5, 6]
    assert "title" in answers[4]["error"]


def test_a_file_that_is_not_an_article_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "عنوان"}', encoding="utf-8")
    code, _, err = run(str(bad))
    assert code == 1 and "title and body must be strings" in err
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run(str(binary))
    assert code == 1 and str(binary) in err


def test_a_corpus_line_with_extra_fields_is_tagged(tmp_path: Path) -> None:
    row = {"title": "ارتفاع أسعار النفط", "body": "ارتفعت أسعار النفط في الأسواق.", "category": "x"}
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, _ = run("--jsonl", str(source))
    assert code == 0 and len(out) == 1 and "error" not in json.loads(out[0])
