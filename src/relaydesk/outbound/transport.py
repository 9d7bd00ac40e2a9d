"""The one way Relaydesk opens an HTTP connection to a vendor, a webhook or a PSA (invariant 9).

The check sits at the socket, below httpx: `GuardedBackend.connect_tcp` resolves the host,
refuses the whole name if any address it resolves to is internal (see `policy`), and connects
to the address it checked. Connecting to the checked address, not the name again, is what
stops DNS rebinding (a name that answers public for the check and loopback for the connect).
TLS still verifies the certificate against the host name: httpcore passes the URL's host as
the server name to `start_tls`, whatever address the socket went to.

Because every connection of the client passes here, redirects (which the client does not
follow anyway), Autotask's zone URL and a PSA's `nextPageUrl` are checked like the first URL.
Proxies from the environment are ignored (`trust_env=False`): a proxy would connect for us,
past the check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

from relaydesk.outbound.policy import AddressPolicy, IPAddress


class OutboundRefused(httpcore.ConnectError):
    """The destination is internal and not allowed. httpx re-raises it as `httpx.ConnectError`
    with this exception as its cause; `outcome.transport_failure` finds it there."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def resolve(host: str, port: int, seconds: float | None) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (literals resolve to themselves)."""
    try:
        with anyio.fail_after(seconds):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:  # socket.gaierror: the name does not resolve
        raise httpcore.ConnectError(str(exc)) from exc
    seen: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address: IPAddress = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # judged and connected to as the IPv4 address it is
        if address not in seen:
            seen.append(address)
    return seen


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, with the address check between resolving and connecting."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port, timeout)
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            # One internal answer refuses the name: a mixed answer is how rebinding is staged.
            reason = self.policy.refusal(host, port, address)
            if reason is not None:
                raise OutboundRefused(reason)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next address, as getaddrinfo callers do
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("outbound requests do not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that connects through `GuardedBackend`."""

    def __init__(self, policy: AddressPolicy, *, limits: httpx.Limits = httpx.Limits()) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; the pool is swapped for
        # the same one with ours (the attribute httpx's own handle_async_request uses).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def outbound_client(
    allow_hosts: str | Iterable[str],
    *,
    timeout: float,
    limits: httpx.Limits = httpx.Limits(),
) -> httpx.AsyncClient:
    """The HTTP client for every request to the outside: checked addresses, no redirects
    followed, no proxies from the environment. `allow_hosts` is the allow-list setting."""
    return httpx.AsyncClient(
        transport=GuardedTransport(AddressPolicy.from_setting(allow_hosts), limits=limits),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
