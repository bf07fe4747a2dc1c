"""The XSS corpus and how a payload is put into each field of a submission."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.security.inert import (
    assert_inert_feed,
    assert_inert_fragment,
    assert_inert_json,
    assert_inert_page,
)
from tests.security.pure import Rendered, own_scripts

CORPUS_FILE = Path(__file__).with_name("xss_corpus.json")


@dataclass(frozen=True)
class Payload:
    name: str
    text: str


def load_corpus() -> list[Payload]:
    document = json.loads(CORPUS_FILE.read_text(encoding="utf-8"))
    return [Payload(item["name"], item["text"]) for item in document["payloads"]]


BASE: dict[str, Any] = {
    "title": "أمطار غزيرة في الرباط",
    "body": "هطلت أمطار غزيرة على مدينة الرباط صباح اليوم.\n\nوتوقعت الأرصاد استمرارها.",
    "source_url": "https://news.example/rain",
    "source_name": "وكالة الأنباء",
    "tags": ["طقس"],
    "images": [{"url": "https://news.example/img/rain.jpg", "caption": "المطر في الرباط"}],
    "category": "محلي",
}
"""A small, valid article: each test changes one field (or all text fields) of it."""


def _title(p: dict[str, Any], text: str) -> None:
    p["title"] = text


def _body(p: dict[str, Any], text: str) -> None:
    p["body"] = f"{text}\n\n{BASE['body']}\n\nفقرة {text} أخيرة"


def _tag(p: dict[str, Any], text: str) -> None:
    p["tags"] = [text, "طقس"]


def _caption(p: dict[str, Any], text: str) -> None:
    p["images"] = [{"url": BASE["images"][0]["url"], "caption": text}]


def _source_name(p: dict[str, Any], text: str) -> None:
    p["source_name"] = text


def _category(p: dict[str, Any], text: str) -> None:
    p["category"] = text


def _image_url(p: dict[str, Any], text: str) -> None:
    p["images"] = [{"url": text, "caption": "صورة"}]


def _source_url(p: dict[str, Any], text: str) -> None:
    p["source_url"] = text


TEXT_FIELDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "title": _title,
    "body": _body,
    "tag": _tag,
    "caption": _caption,
    "source_name": _source_name,
    "category": _category,
}
URL_FIELDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "image_url": _image_url,
    "source_url": _source_url,
}
TEXT_VARIANTS: dict[str, Callable[[str], str]] = {
    "raw": lambda text: text,
    "wrapped": lambda text: f"خبر {text} عاجل",
}
URL_VARIANTS: dict[str, Callable[[str], str]] = {
    "raw": lambda text: text,
    "in-query": lambda text: f"https://news.example/a.jpg?q={text}",
}


def with_fields(fields: list[str], text: str) -> dict[str, Any]:
    """BASE with `text` in each of `fields`."""
    payload: dict[str, Any] = json.loads(json.dumps(BASE))
    for name in fields:
        (TEXT_FIELDS | URL_FIELDS)[name](payload, text)
    return payload


def assert_rendered_inert(rendered: Rendered, where: str) -> None:
    """Every view of the article: pages, fragments, JSON documents and feeds."""
    for name, page in rendered.pages.items():
        assert_inert_page(page, f"{where}: {name}", own_scripts())
    for name, fragment in rendered.fragments.items():
        assert_inert_fragment(fragment, f"{where}: {name}")
    for name, document in rendered.json_documents.items():
        assert_inert_json(document, f"{where}: {name}")
    for name, raw in rendered.feeds.items():
        assert_inert_feed(raw, f"{where}: {name}")
