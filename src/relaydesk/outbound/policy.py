"""Which addresses an outbound request may connect to (invariant 9: nothing reaches inside).

The rule is applied to the addresses a host *resolves to*, never to the URL's spelling, so
every way of writing an internal address lands on the same check: `127.1`, `2130706433`,
`0177.0.0.1` and `0x7f.1` all resolve to 127.0.0.1; `[::ffff:127.0.0.1]` is an IPv4-mapped
IPv6 address and is judged as the IPv4 inside it; `http://good@127.0.0.1` connects to its
host, 127.0.0.1, whatever the userinfo says.

Refused: loopback, private (RFC 1918, ULA), shared (CGNAT), link-local (cloud metadata at
169.254.169.254), multicast, unspecified and reserved ranges — in short anything that is not a
global unicast address. An allow-list (RELAYDESK_OUTBOUND_ALLOW_HOSTS) lets an on-premises
PSA through: entries are `host`, `host:port`, `[v6]:port`, an IP, or a network in CIDR form.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "RELAYDESK_OUTBOUND_ALLOW_HOSTS"

# IPv6 prefixes that carry an IPv4 address a gateway may translate to: NAT64 (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def why_internal(address: IPAddress) -> str | None:
    """What kind of internal address this is, or None for a public (global unicast) one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped (link-local) IPv6 address"
        inner = _embedded_v4(address)
        if inner is not None:
            reason = why_internal(inner)
            return f"{reason}, inside an IPv6 address" if reason else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    if not address.is_global:
        return "a non-public address"
    return None


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One allowed internal destination: a host name or an address range, and maybe a port."""

    host: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    def matches(self, host: str, port: int, address: IPAddress) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        return self.host == host.lower().rstrip(".")


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6] or [v6]:port
        host, _, rest = entry[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{entry!r} is not host[:port]")
        return host, int(rest[1:]) if rest else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port)
    return entry, None  # a bare IPv6 address or network, or a host without port


def parse_allow_entry(raw: str) -> AllowEntry:
    """`psa.corp.local`, `psa.corp.local:8443`, `10.0.0.5`, `10.20.0.0/16`, `[fd00::5]:443`."""
    entry = raw.strip()
    if not entry:
        raise ValueError("an empty entry")
    try:
        host, port = _split_port(entry)
    except ValueError:
        raise ValueError(f"{raw!r} is not host[:port]") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{raw!r} has a port outside 1-65535")
    try:
        network = ipaddress.ip_network(host, strict=False)
    except ValueError:
        if not host or any(c in host for c in "/@ \t"):
            raise ValueError(f"{raw!r} is not a host name, an address or a network") from None
        return AllowEntry(host=host.lower().rstrip("."), port=port)
    return AllowEntry(network=network, port=port)


def parse_allow_list(value: str | Iterable[str]) -> tuple[AllowEntry, ...]:
    """Entries separated by commas or spaces (the environment variable's form), or a list."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(parse_allow_entry(item) for item in items)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses always; internal ones only when an allow entry names them."""

    allow: tuple[AllowEntry, ...] = ()

    @classmethod
    def from_setting(cls, value: str | Iterable[str]) -> AddressPolicy:
        return cls(parse_allow_list(value))

    def refusal(self, host: str, port: int, address: IPAddress) -> str | None:
        """Why connecting to `address` (which `host` resolved to) is refused, or None if allowed."""
        reason = why_internal(address)
        if reason is None or any(entry.matches(host, port, address) for entry in self.allow):
            return None
        return f"{host} resolves to {address}, {reason}; internal hosts must be listed in {ALLOW_SETTING}"
