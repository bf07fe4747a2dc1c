"""Who a reader is, for counting: an address, with IPv6 grouped by its /64, hashed with salt.

One IPv6 subscriber usually holds a whole /64, so each address in it is the same reader; and
an unsalted hash of an IPv4 address is undone by trying all four billion, so the hash is keyed
with a secret of the deployment's own.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

IPV6_READER_PREFIX = 64


def reader_address(host: str) -> str:
    """The address as readers are told apart: IPv4 whole, IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client's name): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network(f"{address}/{IPV6_READER_PREFIX}", strict=False)
        return str(network)
    return str(address)


def reader_key(address: str, secret: bytes) -> str:
    """What the tables hold for a reader: a keyed hash, never the address."""
    message = f"nashr-image-report:{reader_address(address)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]
