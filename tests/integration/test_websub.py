"""The optional WebSub ping, against a local hub that records what it is told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from config.settings import Settings
from pipeline.services.runtime import Services, build_services
from pipeline.store.migrate import upgrade
from tests.sample_site import publish, sourced
from tests.services import wait_until
from tests.site_server import free_port

pytestmark = pytest.mark.integration

SITE_FEEDS = {"/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"}


class Hub:
    """A hub that answers 204 (or `status`) and keeps every ping's form."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.pings: list[list[tuple[str, str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = parse_qsl(self.rfile.read(length).decode())
                assert self.headers["content-type"] == "application/x-www-form-urlencoded"
                hub.pings.append(form)
                self.send_response(hub.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self.port}/hub"

    def urls(self, ping: list[tuple[str, str]]) -> set[str]:
        assert ("hub.mode", "publish") in ping
        return {value for key, value in ping if key == "hub.url"}


@pytest.fixture
def hub() -> Iterator[Hub]:
    recording = Hub()
    thread = threading.Thread(target=recording.server.serve_forever, daemon=True)
    thread.start()
    yield recording
    recording.server.shutdown()
    recording.server.server_close()


def services_with(tmp_path: Path, hub_url: str | None) -> Services:
    tmp_path.mkdir(exist_ok=True)
    settings = Settings(data_dir=tmp_path, websub_hub=hub_url, site_url="https://nashr.example")
    upgrade(settings.database)
    return build_services(settings)


def test_a_rebuild_that_changes_the_feeds_pings_the_hub_once(hub: Hub, tmp_path: Path) -> None:
    services = services_with(tmp_path, hub.url)
    try:
        # When an article is published and the listings rebuilt
        publish(services, sourced(services, "خبر يعلن للمشتركين"))
        services.listings.rebuild()

        # Then the hub hears of the three site feeds, by their absolute URLs
        wait_until(lambda: hub.pings or None, 10, "the hub to be pinged")
        assert hub.urls(hub.pings[0]) == {"https://nashr.example" + p for p in SITE_FEEDS}
        # and the feeds name the hub, so subscribers can find it
        rss = services.outputs.get("/feeds/rss.xml")["/feeds/rss.xml"].body.decode()
        assert f'<atom:link href="{hub.url}" rel="hub"/>' in rss

        # And a rebuild that changes nothing pings nothing
        services.listings.rebuild()
        assert len(hub.pings) == 1
    finally:
        services.close()


def test_a_hub_that_refuses_or_is_down_changes_nothing_else(hub: Hub, tmp_path: Path) -> None:
    hub.status = 500
    dead = f"http://127.0.0.1:{free_port()}/hub"
    for url, where in ((hub.url, "refusing"), (dead, "down")):
        services = services_with(tmp_path / where, url)
        try:
            ids = sourced(services, f"خبر والمحور {where}")
            publish(services, ids)
            rebuilt = services.listings.rebuild()
            assert rebuilt.went_live == [ids] and not rebuilt.failed
        finally:
            services.close()
    assert len(hub.pings) == 1  # the refusing hub was asked; the dead one could not be


def test_without_a_hub_nothing_is_sent_and_no_feed_names_one(hub: Hub, tmp_path: Path) -> None:
    services = services_with(tmp_path, None)
    try:
        publish(services, sourced(services, "خبر بلا محور"))
        services.listings.rebuild()
        rss = services.outputs.get("/feeds/rss.xml")["/feeds/rss.xml"].body.decode()
        assert 'rel="hub"' not in rss and not hub.pings
    finally:
        services.close()


@pytest.mark.parametrize("url", ["ftp://hub.example/", "hub.example", "javascript:alert(1)"])
def test_a_hub_that_is_not_an_http_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="websub_hub"):
        Settings(websub_hub=url)
