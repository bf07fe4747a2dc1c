"""Which addresses a feed may come from: public ones, plus the networks the operator allows."""

from __future__ import annotations

import socket
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from pipeline.sources.addresses import (
    AddressPolicy,
    AddressRefused,
    InvalidAddressPolicy,
    LookupFailed,
    allowed_addresses,
)

PUBLIC_ONLY = AddressPolicy()


@pytest.mark.parametrize("setting", ["", "  ", "0", "false", "No", "none"])
def test_empty_or_off_setting_allows_public_addresses_only(setting: str) -> None:
    assert AddressPolicy.from_setting(setting) == PUBLIC_ONLY


@pytest.mark.parametrize("setting", ["1", "true", "YES", " all "])
def test_switch_on_allows_every_address(setting: str) -> None:
    policy = AddressPolicy.from_setting(setting)
    assert policy.allow_all
    assert policy.refusal(ip_address("169.254.169.254")) is None


def test_networks_are_allowed_beside_public_ones() -> None:
    policy = AddressPolicy.from_setting("127.0.0.0/8, ::1/128,")
    assert policy.networks == (ip_network("127.0.0.0/8"), ip_network("::1/128"))
    assert policy.refusal(ip_address("127.0.0.2")) is None
    assert policy.refusal(ip_address("::1")) is None
    assert policy.refusal(ip_address("93.184.215.14")) is None
    assert policy.refusal(ip_address("10.0.0.1")) == "private address"
    assert policy.refusal(ip_address("169.254.169.254")) == "link-local address"


@pytest.mark.parametrize("setting", ["loopback", "10.0.0.1/8", "127.0.0.0/8;::1", "10.0.0.0/33"])
def test_bad_setting_names_the_entry_and_the_accepted_forms(setting: str) -> None:
    with pytest.raises(InvalidAddressPolicy, match="NASHR_SOURCES_ALLOW_PRIVATE") as raised:
        AddressPolicy.from_setting(setting)
    assert "is not a CIDR network" in str(raised.value)
    assert '"all"' in str(raised.value)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0.0.0.0", "unspecified address"),
        ("::", "unspecified address"),
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
        ("169.254.169.254", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.1", "multicast address"),
        ("ff02::1", "multicast address"),
        ("240.0.0.1", "reserved address"),
        ("10.0.0.1", "private address"),
        ("172.16.5.4", "private address"),
        ("192.168.1.1", "private address"),
        ("fd00::1", "private address"),
        ("100.64.0.1", "non-public address"),
        ("::ffff:10.0.0.1", "private address (IPv4-mapped 10.0.0.1)"),
        ("::ffff:127.0.0.1", "loopback address (IPv4-mapped 127.0.0.1)"),
        ("::ffff:169.254.169.254", "link-local address (IPv4-mapped 169.254.169.254)"),
        ("2002:a00:1::", "private address (6to4 10.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "link-local address (NAT64 169.254.169.254)"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    assert PUBLIC_ONLY.refusal(ip_address(address)) == reason


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:4700::1111", "::ffff:93.184.215.14", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert PUBLIC_ONLY.refusal(ip_address(address)) is None


def test_allowed_network_covers_the_ipv4_mapped_form() -> None:
    policy = AddressPolicy.from_setting("127.0.0.0/8")
    assert policy.refusal(ip_address("::ffff:127.0.0.1")) is None


def _answers(*addresses: str) -> Any:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


def test_a_host_is_allowed_when_all_its_addresses_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _answers("93.184.215.14", "2606:4700::1111"))
    assert allowed_addresses("outlet.example", 443, PUBLIC_ONLY) == [
        ip_address("93.184.215.14"),
        ip_address("2606:4700::1111"),
    ]


def test_one_private_answer_refuses_the_whole_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a name that answers one public and one private address (how rebinding starts)
    monkeypatch.setattr(socket, "getaddrinfo", _answers("93.184.215.14", "10.1.2.3"))
    # When it is checked, Then it is refused, naming the address and why
    with pytest.raises(AddressRefused) as raised:
        allowed_addresses("outlet.example", 443, PUBLIC_ONLY)
    assert str(raised.value) == "outlet.example (10.1.2.3) refused: private address"
    assert raised.value.reason == "private address"


def test_ip_literals_are_checked_without_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an IP literal needs no lookup")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(AddressRefused, match=r"^169\.254\.169\.254 refused: link-local address$"):
        allowed_addresses("169.254.169.254", 80, PUBLIC_ONLY)
    with pytest.raises(AddressRefused, match=r"^::1 refused: loopback address$"):
        allowed_addresses("[::1]", 80, PUBLIC_ONLY)


def test_unknown_name_is_a_lookup_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(LookupFailed, match=r"^DNS: no address for outlet\.invalid$"):
        allowed_addresses("outlet.invalid", 80, PUBLIC_ONLY)


def test_failing_resolver_is_a_lookup_failure_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    with pytest.raises(LookupFailed, match=r"lookup of outlet\.example failed \(Temporary failure"):
        allowed_addresses("outlet.example", 80, PUBLIC_ONLY)
