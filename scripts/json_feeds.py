"""The JSON fixtures: JSON Feed 1.1 and 1.0, and ninjs 2.1 (a list of items and one item).

Written by `scripts/make_feed_fixtures.py`, from the same corpus stories as the XML ones.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.make_feed_fixtures import Story


def json_fixtures(feeds: dict[str, list[Story]], note: str) -> dict[str, bytes]:
    def dump(value: object) -> bytes:
        return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    ninjs = [ninjs_item(s) for s in feeds["ninjs"][:5]]
    return {
        "feed.json": dump(json_feed_11(feeds["json11"], note)),
        "feed-1.0.json": dump(json_feed_10(feeds["json10"], note)),
        "ninjs.json": dump(ninjs),
        "ninjs-item.json": dump(ninjs_item(feeds["ninjs"][5])),
    }


def json_feed_11(stories: list[Story], note: str) -> dict[str, object]:
    items: list[dict[str, object]] = []
    for story in stories:
        item: dict[str, object] = {
            "id": f"https://jawhara.example/?p={story.key}",
            "url": f"https://jawhara.example/news/{story.key}",
            "title": story.title,
            "summary": story.excerpt,
            "date_published": story.iso,
            "date_modified": story.iso_later,
            "authors": [{"name": "قسم الأخبار"}],
            "tags": ["أخبار", "تونس"] if story.key == 401 else ["أخبار"],
        }
        if story.key == 403:
            item["content_text"] = "\n".join(story.paragraphs)
        else:
            item["content_html"] = story.html()
        if story.key in (401, 402):
            item["image"] = f"https://jawhara.example/img/{story.key}.jpg"
        if story.key == 402:
            item["attachments"] = [
                {"url": f"https://jawhara.example/img/{story.key}-b.jpg", "mime_type": "image/jpeg"}
                | {"title": story.line(1, 70)},
                {
                    "url": f"https://jawhara.example/audio/{story.key}.mp3",
                    "mime_type": "audio/mpeg",
                },
            ]
        items.append(item)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "جوهرة",
        "home_page_url": "https://jawhara.example/",
        "feed_url": "https://jawhara.example/feed.json",
        "language": "ar",
        "_provenance": note,
        "items": items,
    }


def json_feed_10(stories: list[Story], note: str) -> dict[str, object]:
    items = [
        {
            "id": str(story.key),
            "url": f"https://sahafa.example/article/{story.key}",
            "title": story.title,
            "content_html": story.html(),
            "date_published": story.moment.isoformat(),
            "author": {"name": "الصحافة"},
            "tags": ["أخبار"],
        }
        for story in stories
    ]
    return {
        "version": "https://jsonfeed.org/version/1",
        "title": "الصحافة",
        "home_page_url": "https://sahafa.example/",
        "feed_url": "https://sahafa.example/feed.json",
        "author": {"name": "الصحافة"},
        "_provenance": note,
        "items": items,
    }


def ninjs_item(story: Story) -> dict[str, object]:
    """A ninjs 2.1 text item; 505 is canceled; 501 and 601 come with a picture."""
    item: dict[str, object] = {
        "uri": f"https://wakala.example/news/{story.key}",
        "type": "text",
        "version": "2",
        "firstcreated": story.iso,
        "versioncreated": story.iso_later,
        "pubstatus": "canceled" if story.key == 505 else "usable",
        "language": "ar",
        "headlines": [{"role": "main", "value": story.title}],
        "descriptions": [{"role": "summary", "contenttype": "text/plain", "value": story.excerpt}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": story.html()}],
        "by": "وكالة الأنباء",
        "subjects": [{"name": "أخبار", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}],
        "standard": {
            "name": "ninjs",
            "version": "2.1",
            "schema": "https://www.iptc.org/std/ninjs/ninjs-schema_2.1.json",
        },
    }
    if story.key in (501, 601):
        base = f"https://wakala.example/media/{story.key}"
        item["associations"] = [
            {
                "name": "featureimage",
                "uri": f"{base}/picture",
                "type": "picture",
                "descriptions": [{"role": "caption", "value": story.line(1, 80)}],
                "renditions": [
                    {"name": "thumbnail", "href": f"{base}/thumb.jpg", "contenttype": "image/jpeg"}
                    | {"width": 300, "height": 200},
                    {
                        "name": "original",
                        "href": f"{base}/original.jpg",
                        "contenttype": "image/jpeg",
                    }
                    | {"width": 1600, "height": 1067},
                ],
            }
        ]
    return item
