"""Readers told apart for image reports: IPv6 by its /64, and a hash keyed per deployment."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.domain.readers import reader_address, reader_key

SECRET = bytes(range(32))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"),
        ("2001:db8:1:2::1", "2001:DB8:1:2:0:0:0:7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
    ],
)
def test_one_reader(first: str, second: str) -> None:
    assert reader_address(first) == reader_address(second)
    assert reader_key(first, SECRET) == reader_key(second, SECRET)


@pytest.mark.parametrize(
    ("first", "second"),
    [("2001:db8:1:2::1", "2001:db8:1:3::1"), ("198.51.100.7", "198.51.100.8")],
)
def test_two_readers(first: str, second: str) -> None:
    assert reader_key(first, SECRET) != reader_key(second, SECRET)


def test_the_key_depends_on_the_deployment_and_is_not_the_plain_hash() -> None:
    address = "198.51.100.7"
    plain = hashlib.sha256(f"nashr-image-report:{address}".encode()).hexdigest()[:32]
    assert reader_key(address, SECRET) != reader_key(address, bytes(32))
    assert reader_key(address, SECRET) != plain
    assert address not in reader_key(address, SECRET)


@pytest.mark.parametrize("host", ["", "unknown", "testclient", "999.1.1.1", "\u202e1.2.3.4"])
def test_what_is_not_an_address_is_kept_as_it_is(host: str) -> None:
    assert reader_address(host) == host
