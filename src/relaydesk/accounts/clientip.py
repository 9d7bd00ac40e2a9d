"""The address a request came from, for the sign-in limits.

`X-Forwarded-For` is anyone's to write, so it is read only when the peer is a configured proxy
(RELAYDESK_TRUSTED_PROXIES); then the client is the right-most address that is not one of our
proxies (each proxy appends the address it saw; entries left of that are the client's own claim).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str | Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks, separated by commas or spaces."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items)


def _is_proxy(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(peer: str | None, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The peer, or when the peer is a trusted proxy, the last untrusted `X-Forwarded-For` hop."""
    if not peer:
        return "unknown"
    if not proxies or not _is_proxy(peer, proxies):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_proxy(hop, proxies):
            return hop[:64]
    return (hops[0] if hops else peer)[:64]
