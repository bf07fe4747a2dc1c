"""Fetching a feed from a real HTTP server on loopback: conditional GET, gzip, redirects, and
every way an outlet (or someone posing as one) can make a fetch hang, balloon or stray."""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.sources.addresses import AddressPolicy
from pipeline.sources.fetch import Fetched, FetchFailed, fetch_feed
from tests.feed_server import RSS, FeedServer

LOOPBACK = AddressPolicy.from_setting("127.0.0.0/8")
USER_AGENT = "nashr/0.1 (+https://site.example/)"
FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>خبر</title></channel></rss>'


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def fetch(url: str, policy: AddressPolicy = LOOPBACK, **options: Any) -> Fetched:
    options = {"etag": None, "last_modified": None} | options
    return fetch_feed(url, user_agent=USER_AGENT, policy=policy, **options)


def failure(url: str, policy: AddressPolicy = LOOPBACK, **options: Any) -> FetchFailed:
    with pytest.raises(FetchFailed) as raised:
        fetch(url, policy, **options)
    return raised.value


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address a TCP connection is opened to during the test."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return opened


def test_first_fetch_is_200_with_validators_and_the_second_a_counted_304(
    feeds: FeedServer,
) -> None:
    feeds.feed("/conditional.xml", FEED)
    # Given a first fetch that brings the feed and its validators
    first = fetch(feeds.url("/conditional.xml"))
    assert first.status == 200
    assert first.body == FEED.encode()
    assert first.content_type == RSS
    assert first.etag and first.etag.startswith('"')
    assert first.last_modified and first.last_modified.endswith(" GMT")
    assert first.final_url == feeds.url("/conditional.xml")
    # When the feed is fetched again with them
    second = fetch(
        feeds.url("/conditional.xml"), etag=first.etag, last_modified=first.last_modified
    )
    # Then the server answered 304 and the validators are kept for next time
    assert (second.status, second.body) == (304, b"")
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)
    assert feeds.counts("/conditional.xml").requests == 2
    assert feeds.counts("/conditional.xml").ok == 1
    assert feeds.counts("/conditional.xml").not_modified == 1
    sent = feeds.headers("/conditional.xml")[-1]
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified


def test_last_modified_alone_makes_a_conditional_request(feeds: FeedServer) -> None:
    feeds.feed("/dated.xml", FEED)
    first = fetch(feeds.url("/dated.xml"))
    again = fetch(feeds.url("/dated.xml"), last_modified=first.last_modified)
    assert again.status == 304
    assert "if-none-match" not in feeds.headers("/dated.xml")[-1]


def test_changed_feed_is_fetched_whole_with_new_validators(feeds: FeedServer) -> None:
    feeds.feed("/changing.xml", FEED)
    first = fetch(feeds.url("/changing.xml"))
    feeds.feed("/changing.xml", FEED.replace("خبر", "خبر جديد"))
    second = fetch(feeds.url("/changing.xml"), etag=first.etag, last_modified=first.last_modified)
    assert second.status == 200
    assert "خبر جديد".encode() in second.body
    assert second.etag != first.etag


def test_user_agent_accept_and_gzip_are_sent_and_gzip_is_decoded(feeds: FeedServer) -> None:
    feeds.feed("/polite.xml", FEED * 50)
    fetched = fetch(feeds.url("/polite.xml"))
    sent = feeds.headers("/polite.xml")[-1]
    assert sent["user-agent"] == USER_AGENT
    assert sent["accept-encoding"] == "gzip"
    assert sent["accept"].startswith("application/rss+xml, application/atom+xml")
    assert fetched.body == (FEED * 50).encode()


def test_gzip_body_is_decoded(feeds: FeedServer) -> None:
    packed = gzip.compress(FEED.encode())
    feeds.route("/packed.xml", lambda h: h.reply(200, packed, RSS, {"Content-Encoding": "gzip"}))
    assert fetch(feeds.url("/packed.xml")).body == FEED.encode()


def test_five_redirects_are_followed_to_the_feed(feeds: FeedServer) -> None:
    feeds.feed("/moved/final.xml", FEED)
    feeds.redirect_chain("/five", 5, "/moved/final.xml")
    fetched = fetch(feeds.url("/five"))
    assert fetched.body == FEED.encode()
    assert fetched.final_url == feeds.url("/moved/final.xml")
    assert feeds.counts("/five/hop-4").requests == 1


def test_absolute_redirect_is_followed(feeds: FeedServer) -> None:
    feeds.feed("/elsewhere.xml", FEED)
    feeds.redirect("/absolute", feeds.url("/elsewhere.xml"), status=301)
    assert fetch(feeds.url("/absolute")).final_url == feeds.url("/elsewhere.xml")


def test_six_redirects_are_too_many(feeds: FeedServer) -> None:
    feeds.feed("/never.xml", FEED)
    feeds.redirect_chain("/six", 6, "/never.xml")
    failed = failure(feeds.url("/six"))
    assert (failed.kind, str(failed)) == ("redirects", "more than 5 redirects")
    assert feeds.counts("/never.xml").requests == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://10.0.0.1/", r"redirect to 10\.0\.0\.1 refused: private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            r"redirect to 169\.254\.169\.254 refused: link-local address",
        ),
        (
            "http://[::ffff:10.0.0.1]/",
            "redirect to ::ffff:(a00:1|10.0.0.1) refused: private address .IPv4-mapped 10.0.0.1.",
        ),
        ("http://[::1]:9/", "redirect to ::1 refused: loopback address"),
        ("file:///etc/passwd", r"redirect to file:///etc/passwd refused: not http\(s\)"),
    ],
)
def test_redirect_to_a_forbidden_place_is_refused_before_connecting(
    feeds: FeedServer, connections: list[tuple[str, int]], target: str, message: str
) -> None:
    # Given an outlet whose feed redirects somewhere nashr must not go
    feeds.redirect("/internal", target)
    # When it is fetched under a policy that allows only 127.0.0.0/8 besides public addresses
    failed = failure(feeds.url("/internal"))
    # Then the redirect is refused, and the only connection made was to the outlet
    assert failed.kind == "refused"
    assert re.fullmatch(message, str(failed)), str(failed)
    assert connections == [("127.0.0.1", feeds.port)]


def test_loopback_is_refused_when_not_allowed(
    feeds: FeedServer, connections: list[tuple[str, int]]
) -> None:
    feeds.feed("/local.xml", FEED)
    before = feeds.connections
    failed = failure(feeds.url("/local.xml"), AddressPolicy.from_setting(""))
    assert (failed.kind, str(failed)) == ("refused", "127.0.0.1 refused: loopback address")
    assert connections == []
    assert feeds.connections == before


def test_non_http_url_is_invalid() -> None:
    failed = failure("file:///etc/passwd")
    assert (failed.kind, str(failed)) == ("invalid", "not http(s): file:///etc/passwd")


def test_name_is_resolved_once_and_the_checked_address_is_the_one_connected(
    feeds: FeedServer, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    # Given a name whose DNS answer changes after the check (DNS rebinding)
    feeds.feed("/pinned.xml", FEED)
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "feeds.example":
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return real(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # When a feed on that name is fetched
    fetched = fetch(f"http://feeds.example:{feeds.port}/pinned.xml")
    # Then the name was looked up once, the connection went to the checked address,
    # and the outlet saw its own name in Host
    assert fetched.body == FEED.encode()
    assert fetched.final_url == f"http://feeds.example:{feeds.port}/pinned.xml"
    assert looked_up == ["feeds.example"]
    assert connections == [("127.0.0.1", feeds.port)]
    assert feeds.headers("/pinned.xml")[-1]["host"] == f"feeds.example:{feeds.port}"


def test_hundred_megabyte_body_stops_at_the_limit_quickly_and_in_little_memory(
    feeds: FeedServer,
) -> None:
    feeds.huge("/huge.xml", 100_000_000)
    tracemalloc.start()
    started = time.monotonic()
    try:
        failed = failure(feeds.url("/huge.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (failed.kind, str(failed)) == ("too_large", "body over 5 MB (5,000,000 bytes)")
    assert time.monotonic() - started < 10
    assert peak < 20_000_000


def test_declared_length_over_the_limit_is_refused_before_reading(feeds: FeedServer) -> None:
    feeds.huge("/declared.xml", 100_000_000, declare_length=True)
    failed = failure(feeds.url("/declared.xml"))
    assert failed.kind == "too_large"
    assert str(failed) == "body over 5 MB (5,000,000 bytes): Content-Length says 100,000,000"


def test_gzip_bomb_is_refused_at_the_limit(feeds: FeedServer) -> None:
    feeds.gzip_bomb("/bomb.xml", 50_000_000)
    tracemalloc.start()
    try:
        failed = failure(feeds.url("/bomb.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (failed.kind, str(failed)) == ("too_large", "body over 5 MB (5,000,000 bytes)")
    assert peak < 20_000_000


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(lambda feeds, path: feeds.slow_drip(path, interval=1.0), id="byte-a-second"),
        pytest.param(lambda feeds, path: feeds.stall(path, drips=3, interval=0.5), id="stall"),
        pytest.param(lambda feeds, path: feeds.slow_headers(path, interval=0.5), id="headers"),
        pytest.param(
            lambda feeds, path: (
                feeds.slow_drip(f"{path}/target", interval=1.0),
                feeds.redirect(path, f"{path}/target"),
            ),
            id="after-redirect",
        ),
    ],
)
def test_slow_server_is_cut_at_the_total_deadline(feeds: FeedServer, route: Any) -> None:
    # Given a server that keeps sending, but too slowly to ever finish
    path = f"/slow-{time.monotonic_ns()}"
    route(feeds, path)
    # When it is fetched with two seconds in all
    started = time.monotonic()
    failed = failure(feeds.url(path), timeout=2)
    took = time.monotonic() - started
    # Then the fetch ends at the deadline, not at a per-read timeout
    assert (failed.kind, str(failed)) == ("timeout", "timed out after 2 s")
    assert 1.9 <= took < 3.0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (500, "HTTP 500 Internal Server Error"),
        (404, "HTTP 404 Not Found"),
        (503, "HTTP 503 Service Unavailable"),
        (410, "HTTP 410 Gone"),
    ],
)
def test_error_status_is_an_http_failure_with_its_code(
    feeds: FeedServer, code: int, message: str
) -> None:
    feeds.status(f"/status-{code}", code)
    failed = failure(feeds.url(f"/status-{code}"))
    assert (failed.kind, failed.status, str(failed)) == ("http", code, message)


def test_unknown_name_is_a_dns_failure() -> None:
    failed = failure("http://outlet.invalid/feed.xml")
    assert failed.kind == "dns"
    assert "outlet.invalid" in str(failed)


def test_connection_closed_mid_body_is_a_clean_error(feeds: FeedServer) -> None:
    feeds.cut_off("/cut.xml", declared=100_000, sent=1_000)
    failed = failure(feeds.url("/cut.xml"))
    assert failed.kind == "connect"
    assert str(failed) == "connection to 127.0.0.1 closed mid-body after 1,000 bytes"


def test_closed_port_is_a_connect_failure(feeds: FeedServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    failed = failure(f"http://127.0.0.1:{port}/feed.xml")
    assert failed.kind == "connect"
    assert str(failed).startswith("cannot connect to 127.0.0.1: ")


@pytest.fixture(scope="module")
def tls_feeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FeedServer, Path]]:
    """An https feed server whose self-signed certificate names feeds.example only."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    names = ["-subj", "/CN=feeds.example", "-addext", "subjectAltName=DNS:feeds.example"]
    subprocess.run(
        [openssl, *request, "-keyout", str(key), "-out", str(cert), *names],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FeedServer(tls=context) as server:
        yield server, cert


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    tls_feeds: tuple[FeedServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given feeds.example and other.example, both resolving to the https server on loopback
    feeds, cert = tls_feeds
    feeds.feed("/secure.xml", FEED)
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        named = host in ("feeds.example", "other.example")
        return real("127.0.0.1" if named else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    trusting = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=trusting) as client:
        # When each is fetched through a client that trusts the certificate
        fetched = fetch(f"https://feeds.example:{feeds.port}/secure.xml", client=client)
        failed = failure(f"https://other.example:{feeds.port}/secure.xml", client=client)
    # Then the name the certificate carries is fetched (Host and SNI say it, though the
    # connection went to the address), and the other is refused by the certificate check
    assert fetched.body == FEED.encode()
    assert feeds.headers("/secure.xml")[0]["host"] == f"feeds.example:{feeds.port}"
    assert failed.kind == "tls"
    assert "other.example" in str(failed)
    assert feeds.counts("/secure.xml").requests == 1
