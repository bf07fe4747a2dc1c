"""A fetched body stops at its byte limit after decoding, whatever the compression."""

from __future__ import annotations

import gzip
import zlib

import pytest

from pipeline.sources.fetch_limits import BoundedBody, FetchFailed


def _fed(encoding: str | None, limit: int, *chunks: bytes) -> bytes:
    body = BoundedBody(encoding, limit)
    for chunk in chunks:
        body.feed(chunk)
    return body.finish()


def test_identity_body_up_to_the_limit_is_kept_whole() -> None:
    assert _fed(None, 10, b"12345", b"67890") == b"1234567890"
    assert _fed("identity", 10, b"abc") == b"abc"


def test_one_byte_over_the_limit_is_refused() -> None:
    with pytest.raises(FetchFailed, match=r"^body over 1e-05 MB \(10 bytes\)$") as raised:
        _fed(None, 10, b"12345", b"678901")
    assert raised.value.kind == "too_large"


def test_gzip_and_deflate_are_decoded_whatever_the_chunking() -> None:
    text = "خبر عاجل ".encode() * 200
    packed = gzip.compress(text)
    assert _fed("gzip", 10_000, *[packed[i : i + 7] for i in range(0, len(packed), 7)]) == text
    assert _fed("x-gzip", 10_000, packed) == text
    assert _fed("deflate", 10_000, zlib.compress(text)) == text


def test_concatenated_gzip_members_make_one_body() -> None:
    assert _fed("gzip", 100, gzip.compress(b"<rss>") + gzip.compress(b"</rss>")) == b"<rss></rss>"


def test_bomb_is_inflated_no_further_than_the_limit() -> None:
    # Given 20 MB of zeros in 20 KB of gzip
    bomb = gzip.compress(bytes(20_000_000))
    body = BoundedBody("gzip", 1_000_000)
    # When it is fed in one piece, Then it is refused with at most a byte past the limit held
    with pytest.raises(FetchFailed, match="body over 1 MB"):
        body.feed(bomb)
    assert len(body._data) <= 1_000_001


def test_corrupt_truncated_or_unknown_encodings_are_invalid() -> None:
    with pytest.raises(FetchFailed, match="corrupt") as corrupt:
        _fed("gzip", 100, b"\x1f\x8bnot really gzip")
    with pytest.raises(FetchFailed, match="cut short") as short:
        _fed("gzip", 1_000, gzip.compress(b"x" * 500)[:-12])
    with pytest.raises(FetchFailed, match="unsupported Content-Encoding: br") as unknown:
        BoundedBody("br", 100)
    assert {corrupt.value.kind, short.value.kind, unknown.value.kind} == {"invalid"}
