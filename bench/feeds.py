"""Outlets' feeds for the sources benchmark: N Arabic RSS feeds on loopback, their new items
arriving on a seeded schedule, every answer counted on the server's side.

Each feed shows its newest `items` items, built from corpus articles (title, paragraphs as
`content:encoded`, an excerpt, the section as a category), each with its own GUID and link on
the outlet's own host. New items arrive at random moments (a Poisson process of
`new_per_minute` a minute, as news does) or, with `steady`, evenly spaced and staggered from
feed to feed. A feed's version is the number of items that have arrived, a function of the
clock alone, so what any answer contained can be told afterwards from the log.
"""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

HORIZON_SLACK = 3600.0
"""Arrivals are planned this far past the run's end, so no feed freezes while it is read."""
SECTIONS = {
    "internationalNews": ("world", "دولي"),
    "middleEast": ("world", "الشرق الأوسط"),
    "sport": ("sport", "رياضة"),
    "culture": ("culture", "ثقافة"),
    "technology": ("tech", "تكنولوجيا"),
    "economy": ("economy", "اقتصاد"),
    "localNews": ("local", "محليات"),
    "society": ("society", "مجتمع"),
    "politic": ("politics", "سياسة"),
}
RSS_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
)


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    category: str


def corpus_articles(path: Path) -> list[Article]:
    """The corpus's articles with their section, which `bench.corpus` leaves out."""
    found = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            paragraphs = tuple(p.strip() for p in raw["body"].split("\n") if p.strip())
            found.append(Article(" ".join(raw["title"].split()), paragraphs, raw["category"]))
    return found


@dataclass(frozen=True)
class Served:
    """One answer as the server gave it: `version` is the feed's version at that moment."""

    at: float
    client: str
    feed: int
    status: int
    version: int


class FeedPlan:
    """What every feed holds at every moment, fixed by the seed when the plan is made."""

    def __init__(
        self,
        articles: list[Article],
        feeds: int,
        items: int,
        new_per_minute: float,
        seconds: float,
        arrivals: str = "random",
        seed: int = 1,
    ) -> None:
        self.articles = articles
        self.feeds = feeds
        self.items = items
        self.gap = 60.0 / new_per_minute
        self.start = time.time()
        end = self.start + seconds + HORIZON_SLACK
        self.arrivals: list[list[float]] = []
        self.order: list[list[int]] = []
        for feed in range(feeds):
            rng = random.Random(seed * 100_003 + feed)
            if arrivals == "steady":
                moment = self.start + self.gap * (feed / feeds)
                times = []
                while moment < end:
                    times.append(moment)
                    moment += self.gap
            else:
                times, moment = [], self.start
                while (moment := moment + rng.expovariate(1 / self.gap)) < end:
                    times.append(moment)
            self.arrivals.append(times)
            count = min(len(articles), items + len(times))
            self.order.append(rng.sample(range(len(articles)), count))
        self._fragments: dict[tuple[int, int], str] = {}
        self._bodies: dict[int, tuple[int, bytes, bytes]] = {}
        self._lock = threading.Lock()

    def version(self, feed: int, at: float) -> int:
        return bisect_right(self.arrivals[feed], at)

    def arrived_at(self, feed: int, item: int) -> float:
        """Item 0 is the oldest; the first `items` were on the feed before the run began."""
        if item < self.items:
            return self.start - (self.items - item) * self.gap
        return self.arrivals[feed][item - self.items]

    def shown(self, version: int) -> range:
        """The items a feed at `version` shows."""
        return range(version, version + self.items)

    @staticmethod
    def source_name(feed: int) -> str:
        return f"outlet-{feed:03d}"

    @staticmethod
    def path(feed: int) -> str:
        return f"/feeds/{feed:03d}.xml"

    def etag(self, feed: int, version: int) -> str:
        return f'"{feed}-{version}"'

    def last_modified(self, feed: int, version: int) -> datetime:
        newest = self.arrived_at(feed, version + self.items - 1)
        return datetime.fromtimestamp(int(newest), UTC)

    def body(self, feed: int, version: int) -> tuple[bytes, bytes]:
        """The feed's XML and its gzip, made once per version."""
        with self._lock:
            cached = self._bodies.get(feed)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        name = self.source_name(feed)
        built = format_datetime(self.last_modified(feed, version), usegmt=True)
        parts = [
            RSS_OPEN,
            f"<title>{name}</title><link>https://{name}.example/</link>"
            f"<description>أخبار {name}</description><language>ar</language>"
            f"<lastBuildDate>{built}</lastBuildDate>",
            *(self._item(feed, k) for k in reversed(self.shown(version))),
            "</channel></rss>\n",
        ]
        data = "".join(parts).encode("utf-8")
        packed = gzip.compress(data, compresslevel=6, mtime=0)
        with self._lock:
            self._bodies[feed] = (version, data, packed)
        return data, packed

    def _item(self, feed: int, k: int) -> str:
        key = (feed, k)
        found = self._fragments.get(key)
        if found is not None:
            return found
        article = self.articles[self.order[feed][k % len(self.order[feed])]]
        slug, label = SECTIONS.get(article.category, ("misc", "منوعات"))
        host = f"{self.source_name(feed)}.example"
        moment = datetime.fromtimestamp(int(self.arrived_at(feed, k)), UTC)
        words = " ".join(article.paragraphs[0].split()[:30]) if article.paragraphs else ""
        body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
        fragment = (
            f"<item><title>{escape(article.title)}</title>"
            f"<link>https://{host}/{slug}/{k}.html</link>"
            "<dc:creator><![CDATA[هيئة التحرير]]></dc:creator>"
            f"<pubDate>{format_datetime(moment, usegmt=True)}</pubDate>"
            f"<category><![CDATA[{label}]]></category>"
            f'<guid isPermaLink="false">https://{host}/?p={k}</guid>'
            f"<description><![CDATA[<p>{escape(words)}…</p>]]></description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
        self._fragments[key] = fragment
        return fragment


def client_of(user_agent: str) -> str:
    """nashr names itself `nashr/<release>`; the bench's own fetchers name themselves."""
    if user_agent.startswith("nashr/"):
        return "nashr"
    return user_agent.split("/", 1)[0] or "other"


class FeedServer:
    """A real HTTP/1.1 server on 127.0.0.1 and a free port, answering every feed of `plan`
    with ETag and Last-Modified, 304 to a request that names them, gzip when asked."""

    def __init__(self, plan: FeedPlan) -> None:
        self.plan = plan
        self.log: list[Served] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self)
        self._thread: threading.Thread | None = None

    def url(self, feed: int) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.plan.path(feed)}"

    def __enter__(self) -> FeedServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="feed server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def answers(self, client: str) -> list[Served]:
        with self._lock:
            return [s for s in self.log if s.client == client]

    def serve(self, handler: _Handler) -> None:
        now = time.time()
        feed = _feed_number(handler.path, self.plan.feeds)
        client = client_of(handler.headers.get("User-Agent", ""))
        if feed is None:
            handler.reply(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        version = self.plan.version(feed, now)
        etag = self.plan.etag(feed, version)
        modified = self.plan.last_modified(feed, version)
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if _unchanged(handler, etag, modified):
            status = handler.reply(304, b"", headers)
        else:
            data, packed = self.plan.body(feed, version)
            headers["Content-Type"] = "application/rss+xml; charset=utf-8"
            if "gzip" in handler.headers.get("Accept-Encoding", ""):
                data = packed
                headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            status = handler.reply(200, data, headers)
        with self._lock:
            self.log.append(Served(now, client, feed, status, version))


def _feed_number(path: str, feeds: int) -> int | None:
    name = path.split("?", 1)[0]
    if not (name.startswith("/feeds/") and name.endswith(".xml")):
        return None
    number = name[len("/feeds/") : -len(".xml")]
    if not number.isdigit() or int(number) >= feeds:
        return None
    return int(number)


def _unchanged(handler: _Handler, etag: str, modified: datetime) -> bool:
    tags = handler.headers.get("If-None-Match")
    if tags is not None:
        return etag in {tag.strip().removeprefix("W/") for tag in tags.split(",")}
    since = handler.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], feeds: FeedServer) -> None:
        self.feeds = feeds
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        try:
            self.server.feeds.serve(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def reply(self, status: int, body: bytes, headers: dict[str, str]) -> int:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: every answer is in the server's log instead."""
