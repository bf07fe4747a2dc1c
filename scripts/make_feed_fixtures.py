"""Build the feed fixtures of tests/fixtures/feeds/ from real articles of the training corpus.

Reads ../shared/corpus at build time only; the fixtures it writes are committed and nothing
reads the corpus when tests run. Each article is cut to a few short paragraphs so every file
stays small. Links, ids and dates are fixed, so a rebuild gives the same files.

    .venv/bin/python -m scripts.make_feed_fixtures
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from scripts.corpus import DEFAULT_CORPUS, PROVENANCE, CorpusArticle, training_split
from scripts.hostile_feeds import hostile_fixtures
from scripts.json_feeds import json_fixtures

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "feeds"
FIRST_MOMENT = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)
MAX_PARAGRAPH_CHARS = 240
MAX_BYTES = 30_000
NOTE = f"Built by scripts/make_feed_fixtures.py from {PROVENANCE['source']}"
XML_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {NOTE} -->\n'
WP_NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"'
)


@dataclass(frozen=True)
class Story:
    """One corpus article as a fixture item: short paragraphs, a fixed link and moment."""

    key: int
    title: str
    paragraphs: tuple[str, ...]
    moment: datetime

    def html(self, figure: str = "") -> str:
        paragraphs = [f"<p>{escape(p)}</p>" for p in self.paragraphs]
        return paragraphs[0] + figure + "".join(paragraphs[1:])

    def line(self, index: int, limit: int) -> str:
        """Paragraph `index` cut to `limit` characters: a caption's worth of text."""
        return _cut(self.paragraphs[index], limit)

    @property
    def excerpt(self) -> str:
        return _cut(self.paragraphs[0], 140)

    @property
    def rfc822(self) -> str:
        return format_datetime(self.moment.astimezone(timezone(timedelta(hours=self.key % 3))))

    @property
    def iso(self) -> str:
        return self.moment.isoformat().replace("+00:00", "Z")

    @property
    def iso_later(self) -> str:
        return (self.moment + timedelta(hours=2)).isoformat().replace("+00:00", "Z")


class Pool:
    """Corpus articles handed out once each, by the outlet's section label."""

    def __init__(self, articles: list[CorpusArticle]) -> None:
        self._articles = [a for a in articles if _usable(a)]
        self._used: set[str] = set()

    def take(self, key: int, labels: tuple[str, ...]) -> Story:
        for article in self._articles:
            if article.label in labels and article.source_url not in self._used:
                self._used.add(article.source_url)
                paragraphs = tuple(_cut(p, MAX_PARAGRAPH_CHARS) for p in article.paragraphs[:3])
                moment = FIRST_MOMENT + timedelta(hours=5 * len(self._used), minutes=key % 50)
                return Story(key, article.title.strip(), paragraphs, moment)
        raise SystemExit(f"no unused corpus article labelled {labels}")


def _usable(article: CorpusArticle) -> bool:
    title = article.title.strip()
    return 20 <= len(title) <= 110 and len(article.paragraphs) >= 3 and "]]>" not in article.body


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _cdata(html_text: str) -> str:
    return f"<![CDATA[{html_text}]]>"


LABELS = {
    "news": ("internationalNews", "middleEast", "politic"),
    "society": ("society", "localNews"),
}
PLAN = {
    "wordpress": "101:news 102:economy 103:sport 104:culture 105:society",
    "sport": "201:sport 202:sport 203:sport 204:sport",
    "atom": "301:technology 302:culture 303:news 304:economy 305:sport",
    "json11": "401:news 402:technology 403:culture 404:economy 405:sport",
    "json10": "451:sport 452:news 453:technology 454:culture 455:economy",
    "ninjs": "501:news 502:economy 503:sport 504:technology 505:news 601:culture",
    "rss091": "701:news 702:economy 703:sport 704:culture 705:technology",
    "rss10": "801:technology 802:news 803:society 804:sport 805:culture",
    "hostile": "901:news 902:culture",
}
"""Which corpus section each fixture item is drawn from, by its fixed key."""


WP_SECTIONS = {101: "politique", 102: "economie", 103: "sport", 104: "art-et-culture"}
WP_CATEGORIES = {
    101: ("سياسة", "دولي"),
    102: ("اقتصاد", "أسواق"),
    103: ("رياضة", "كرة القدم", "منتخبات"),
    104: ("فن وثقافة", "سينما"),
    105: ("مجتمع",),
}


def wp_link(key: int) -> str:
    section = WP_SECTIONS.get(key, "sport" if key > 200 else "societe")
    return f"https://hespress.example/{section}/{key}.html"


def wordpress_item(story: Story, link: str, categories: tuple[str, ...]) -> str:
    """An item as WordPress writes it: excerpt, full text with a figure, guid `?p=`."""
    image = f"https://hespress.example/wp-content/uploads/2026/05/{story.key}.jpg"
    figure = ""
    extra = ""
    if story.key % 2 == 1:  # a figure in the text, as the block editor writes it
        figure = (
            '<figure class="wp-block-image size-large">'
            f'<img src="{image}" alt="{escape(story.title)}" width="1024" height="683"/>'
            f"<figcaption>{escape(story.line(1, 80))}</figcaption></figure>"
        )
    if story.key % 4 == 2:
        extra = (
            f'\n  <media:content url="{image}" medium="image" width="1200" height="800">'
            f"\n    <media:description>{escape(story.line(2, 90))}</media:description>"
            "\n  </media:content>"
        )
    if story.key % 4 == 0:
        extra = f'\n  <enclosure url="{image}" length="48213" type="image/jpeg"/>'
    cats = "".join(f"\n  <category>{_cdata(c)}</category>" for c in categories)
    return f"""
 <item>
  <title>{escape(story.title)}</title>
  <link>{escape(link)}</link>
  <dc:creator>{_cdata("هيئة التحرير" if story.key % 2 else "سعيد الإدريسي")}</dc:creator>
  <pubDate>{story.rfc822}</pubDate>{cats}
  <guid isPermaLink="false">https://hespress.example/?p={story.key}</guid>
  <description>{_cdata(f"<p>{escape(story.excerpt)} [&hellip;]</p>")}</description>
  <content:encoded>{_cdata(story.html(figure))}</content:encoded>{extra}
 </item>"""


def wordpress_feed(path: str, title: str, items: str) -> bytes:
    return (
        XML_HEAD
        + f"""<rss version="2.0" {WP_NS}>
<channel>
 <title>{title}</title>
 <atom:link href="https://hespress.example{path}" rel="self" type="application/rss+xml"/>
 <link>https://hespress.example/</link>
 <description>جريدة إلكترونية مغربية</description>
 <lastBuildDate>Tue, 12 May 2026 09:00:00 +0000</lastBuildDate>
 <language>ar</language>
 <sy:updatePeriod xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">hourly</sy:updatePeriod>
 <generator>https://wordpress.org/?v=6.5.3</generator>{items}
</channel>
</rss>
"""
    ).encode()


def xml_fixtures(feeds: dict[str, list[Story]]) -> dict[str, bytes]:
    main = "".join(
        wordpress_item(s, wp_link(s.key), WP_CATEGORIES[s.key]) for s in feeds["wordpress"]
    )
    shared = feeds["wordpress"][2]
    sport_items = [
        wordpress_item(shared, wp_link(103) + "?utm_source=sport&utm_medium=rss", ("رياضة",))
    ]
    sport_items += [wordpress_item(s, wp_link(s.key), ("رياضة",)) for s in feeds["sport"]]
    return {
        "wordpress-rss.xml": wordpress_feed("/feed/", "هسبريس", main),
        "wordpress-rss-sport.xml": wordpress_feed(
            "/sport/feed/", "هسبريس – رياضة", "".join(sport_items)
        ),
        "atom.xml": atom_feed(feeds["atom"]),
        "rss091.xml": rss091_feed(feeds["rss091"]),
        "rss10.xml": rss10_feed(feeds["rss10"]),
    }


def atom_feed(stories: list[Story]) -> bytes:
    entries = []
    for story in stories:
        href = f"/{story.key}" if story.key == 302 else f"https://akhbar.example/a/{story.key}"
        thumb = (
            f'\n  <media:thumbnail xmlns:media="http://search.yahoo.com/mrss/" '
            f'url="https://akhbar.example/img/{story.key}-thumb.jpg" width="320" height="180"/>'
            if story.key == 303
            else ""
        )
        alt = escape(story.line(1, 60))
        figure = f'<p><img src="/img/{story.key}.jpg" alt="{alt}"/></p>' if story.key < 303 else ""
        entries.append(f"""
 <entry>
  <id>tag:akhbar.example,2026:entry-{story.key}</id>
  <title type="text">{escape(story.title)}</title>
  <link rel="alternate" type="text/html" href="{href}"/>
  <published>{story.iso}</published>
  <updated>{story.iso_later}</updated>
  <author><name>مراسل أخبار</name></author>
  <category term="{"تقنية" if story.key == 301 else "أخبار"}"/>
  <summary type="html">{escape(f"<p>{escape(story.excerpt)}</p>")}</summary>
  <content type="html">{escape(story.html(figure))}</content>{thumb}
 </entry>""")
    return (
        XML_HEAD
        + f"""<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar" xml:base="https://akhbar.example/">
 <id>tag:akhbar.example,2026:feed</id>
 <title>أخبار اليوم</title>
 <updated>2026-05-12T09:00:00Z</updated>
 <link rel="self" href="https://akhbar.example/atom.xml"/>
 <link rel="alternate" href="https://akhbar.example/"/>{"".join(entries)}
</feed>
"""
    ).encode()


def rss091_feed(stories: list[Story]) -> bytes:
    items = "".join(
        f"""
<item>
<title>{escape(s.title)}</title>
<link>https://qadima.example/news.php?id={s.key}</link>
<description>{escape(s.excerpt)}</description>
<pubDate>{s.rfc822}</pubDate>
</item>"""
        for s in stories
    )
    return (
        f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<!-- {NOTE} -->
<rss version="0.91">
<channel>
<title>الأخبار القديمة</title>
<link>https://qadima.example/</link>
<description>موقع إخباري عربي</description>
<language>ar</language>{items}
</channel>
</rss>
"""
    ).encode()


def rss10_feed(stories: list[Story]) -> bytes:
    seq = "".join(
        f'\n    <rdf:li rdf:resource="https://rdf-akhbar.example/{s.key}"/>' for s in stories
    )
    items = "".join(
        f"""
 <item rdf:about="https://rdf-akhbar.example/{s.key}">
  <title>{escape(s.title)}</title>
  <link>https://rdf-akhbar.example/{s.key}</link>
  <description>{escape(s.excerpt)}</description>
  <dc:date>{s.iso}</dc:date>
  <dc:creator>وكالة الأنباء</dc:creator>
  <dc:subject>{"تقنية" if s.key == 801 else "أخبار"}</dc:subject>{
            f"{chr(10)}  <content:encoded>{_cdata(s.html())}</content:encoded>"
            if s.key == 801
            else ""
        }
 </item>"""
        for s in stories
    )
    return (
        XML_HEAD
        + f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
 <channel rdf:about="https://rdf-akhbar.example/rss">
  <title>أخبار آر دي إف</title>
  <link>https://rdf-akhbar.example/</link>
  <description>موقع إخباري</description>
  <items><rdf:Seq>{seq}
  </rdf:Seq></items>
 </channel>{items}
</rdf:RDF>
"""
    ).encode()


def readme() -> bytes:
    return (
        "# Feed fixtures\n\n"
        "Built by `scripts/make_feed_fixtures.py` from real articles of the training corpus,\n"
        "cut to a few short paragraphs; rebuild rather than edit by hand.\n\n"
        f"Source: {PROVENANCE['source']}. Licence: {PROVENANCE['licence']}; please cite\n"
        f"{PROVENANCE['citation']}. The article texts remain the copyright of their publishers.\n\n"
        "`wordpress-rss.xml` and `wordpress-rss-sport.xml` are two feeds of one outlet sharing\n"
        "exactly one story, https://hespress.example/sport/103.html (guid `?p=103`), linked with\n"
        "`?utm_source=sport&utm_medium=rss` in the second. No other item is in two feeds.\n"
    ).encode()


def _pairs(plan: str) -> list[tuple[str, str]]:
    return [(entry.split(":")[0], entry.split(":")[1]) for entry in plan.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    pool = Pool(training_split(args.corpus))
    feeds = {
        name: [pool.take(int(key), LABELS.get(label, (label,))) for key, label in _pairs(plan)]
        for name, plan in PLAN.items()
    }
    files = {"README.md": readme()}
    files |= xml_fixtures(feeds) | json_fixtures(feeds, NOTE) | hostile_fixtures(*feeds["hostile"])
    OUT.mkdir(parents=True, exist_ok=True)
    for name, content in sorted(files.items()):
        if len(content) > MAX_BYTES:
            raise SystemExit(f"{name} is {len(content)} bytes, over {MAX_BYTES}")
        (OUT / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes")


if __name__ == "__main__":
    main()
