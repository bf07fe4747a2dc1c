"""Which addresses a feed may be fetched from: public ones, plus what the operator allows.

An outlet's URL (or a redirect it sends) must not make nashr reach its own network, the
cloud metadata service or loopback: every address a host resolves to is checked before any
connection is made.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from pipeline.sources.items import FeedError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

ALLOW_ALL = frozenset({"1", "true", "yes", "all"})
ALLOW_NONE = frozenset({"", "0", "false", "no", "none"})
NAT64 = IPv6Network("64:ff9b::/96")


class InvalidAddressPolicy(ValueError):
    """NASHR_SOURCES_ALLOW_PRIVATE is neither a switch nor a list of CIDR networks."""


class AddressRefused(FeedError):
    """A host resolves to an address the policy does not allow."""

    def __init__(self, host: str, address: IPAddress, reason: str) -> None:
        shown = str(address) if ip_literal(host) == address else f"{host} ({address})"
        super().__init__(f"{shown} refused: {reason}")
        self.host = host
        self.address = address
        self.reason = reason


class LookupFailed(FeedError):
    """The host's name does not resolve (no such name, or DNS is failing)."""

    def __init__(self, host: str, message: str) -> None:
        super().__init__(message)
        self.host = host


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses always; non-public ones only inside `networks`, or all if `allow_all`."""

    allow_all: bool = False
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_setting(cls, setting: str) -> AddressPolicy:
        """ "" (public only), "1"/"true"/"yes"/"all" (anything), or "127.0.0.0/8,::1/128"."""
        value = setting.strip()
        if value.lower() in ALLOW_NONE:
            return cls()
        if value.lower() in ALLOW_ALL:
            return cls(allow_all=True)
        networks: list[IPNetwork] = []
        for part in value.split(","):
            entry = part.strip()
            if not entry:
                continue
            try:
                networks.append(ip_network(entry))
            except ValueError as exc:
                raise InvalidAddressPolicy(
                    f"NASHR_SOURCES_ALLOW_PRIVATE: {entry!r} is not a CIDR network ({exc}); "
                    'give "" for public addresses only, "all" for any address, or networks '
                    'such as "127.0.0.0/8,::1/128"'
                ) from None
        return cls(networks=tuple(networks))

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` may not be fetched from, or None when it may."""
        if self.allow_all:
            return None
        embedded = embedded_ipv4(address)
        candidates = (address,) if embedded is None else (address, embedded[1])
        if any(a in net for a in candidates for net in self.networks):
            return None
        if embedded is None:
            return _non_public(address)
        kind, ipv4 = embedded
        reason = _non_public(ipv4)
        return None if reason is None else f"{reason} ({kind} {ipv4})"


def embedded_ipv4(address: IPAddress) -> tuple[str, IPv4Address] | None:
    """The IPv4 address an IPv6 one stands for, and how: "IPv4-mapped", "6to4" or "NAT64"."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address in NAT64:
        return "NAT64", IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _non_public(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if address.is_reserved:
        return "reserved address"
    if address.is_private:
        return "private address"
    if not address.is_global:
        return "non-public address"
    return None


def allowed_addresses(host: str, port: int, policy: AddressPolicy) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order, once all pass the policy.

    One refused address refuses the host: a name that mixes public and private answers is
    how DNS rebinding starts.
    """
    literal = ip_literal(host)
    addresses = [literal] if literal is not None else _resolve(host, port)
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise AddressRefused(host, address, reason)
    return addresses


def ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells out ("10.0.0.1", "[::1]"), or None for a name."""
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise LookupFailed(host, f"DNS: no address for {host}") from None
        raise LookupFailed(host, f"DNS: lookup of {host} failed ({exc.strerror})") from None
    except UnicodeError:
        raise LookupFailed(host, f"DNS: {host!r} is not a valid host name") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise LookupFailed(host, f"DNS: no address for {host}")
    return addresses
