"""Invariant 9 over real sockets: every spelling of an internal address is refused without the
allow setting, and reaches the loopback server with it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from relaydesk.outbound import outbound_client
from relaydesk.outbound.outcome import DeliveryFailed, excerpt, send_request
from relaydesk.outbound.policy import AddressPolicy, parse_allow_entry, why_internal
from tests.fakes.server import LocalServer

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_named(address: str) -> None:
    assert why_internal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert why_internal(ipaddress.ip_address(address)) is None


def test_allow_entries() -> None:
    loop = ipaddress.ip_address("127.0.0.1")
    assert parse_allow_entry("psa.corp.local:8443").matches("PSA.corp.local", 8443, loop)
    assert not parse_allow_entry("psa.corp.local:8443").matches("psa.corp.local", 443, loop)
    assert parse_allow_entry("127.0.0.0/8").matches("anything", 1, loop)
    assert parse_allow_entry("[::1]:80").matches("x", 80, ipaddress.ip_address("::1"))
    assert parse_allow_entry("::1").matches("x", 80, ipaddress.ip_address("::1"))
    for bad in ("", "a b", "host:0", "host:x", "user@host"):
        with pytest.raises(ValueError):
            parse_allow_entry(bad)
    assert AddressPolicy.from_setting("10.0.0.0/8, psa.local").refusal("x", 80, loop) is not None


def test_excerpt_is_short_and_printable() -> None:
    said = excerpt("<html>\x00\x1b[31mred\u202e" + "x" * 1000, 500)
    assert len(said) <= 200
    assert not any(ord(c) < 32 or c == "\u202e" for c in said)


# -- over sockets ---------------------------------------------------------------------------------


class Target:
    """A loopback server that counts what reached it, and redirects where told."""

    def __init__(self) -> None:
        self.hits = 0
        self.redirect_to = ""

    async def hit(self, request: Request) -> Response:
        self.hits += 1
        return PlainTextResponse("internal secret page")

    async def bounce(self, request: Request) -> Response:
        self.hits += 1
        return RedirectResponse(self.redirect_to, status_code=302)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[LocalServer[Starlette], Target]]:
    state = Target()
    app = Starlette(routes=[Route("/", state.hit), Route("/bounce", state.bounce)])
    with LocalServer(app) as server:
        yield server, state


def _forms(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/",
        f"http://2130706433:{port}/",  # decimal
        f"http://127.1:{port}/",  # short
        f"http://0177.1:{port}/",  # octal, short (httpx itself rejects a dotted-quad with octal)
        f"http://0x7f.0.0.1:{port}/",  # hex
        f"http://[::ffff:127.0.0.1]:{port}/",  # IPv4-mapped IPv6
        f"http://good.example@127.0.0.1:{port}/",  # userinfo
        f"http://good.example:pw@127.0.0.1:{port}/#@good.example",
        f"http://localhost:{port}/",
    ]


async def test_every_form_is_refused_without_the_setting(
    target: tuple[LocalServer[Starlette], Target],
) -> None:
    server, state = target
    state.hits = 0
    async with outbound_client("", timeout=5) as http:
        for url in [*_forms(server.port), f"http://[::1]:{server.port}/", "http://0.0.0.0:9/"]:
            with pytest.raises(DeliveryFailed) as caught:
                await send_request(http, "Webhook", "POST", url, json={})
            assert caught.value.retryable is False, url
            assert "was not called" in caught.value.message and "RELAYDESK_OUTBOUND_ALLOW_HOSTS" in (
                caught.value.message
            ), caught.value.message
        with pytest.raises(DeliveryFailed, match="not a valid http"):
            await send_request(http, "Webhook", "POST", f"http://0177.0.0.1:{server.port}/", json={})
    assert state.hits == 0


async def test_every_form_reaches_loopback_with_the_setting(
    target: tuple[LocalServer[Starlette], Target],
) -> None:
    server, state = target
    state.hits = 0
    forms = _forms(server.port)
    async with outbound_client("127.0.0.1", timeout=5) as http:
        for url in forms:
            response = await send_request(http, "Webhook", "GET", url)
            assert response.status_code == 200, url
    assert state.hits == len(forms)


async def test_allow_entry_with_a_port_allows_that_port_only(
    target: tuple[LocalServer[Starlette], Target],
) -> None:
    server, _ = target
    async with outbound_client(f"127.0.0.1:{server.port}", timeout=5) as http:
        assert (await send_request(http, "PSA", "GET", f"http://127.0.0.1:{server.port}/")).status_code == 200
        with pytest.raises(DeliveryFailed, match="was not called"):
            await send_request(http, "PSA", "GET", f"http://127.0.0.1:{server.port + 1}/")


async def test_redirects_are_not_followed_and_are_checked_when_followed(
    target: tuple[LocalServer[Starlette], Target],
) -> None:
    """The server on the allowed port sends us to a port that is not allowed."""
    server, state = target
    state.redirect_to = f"http://127.0.0.1:{server.port}/"
    async with outbound_client(f"localhost:{server.port}", timeout=5) as http:
        bounced = await send_request(http, "Webhook", "GET", f"http://localhost:{server.port}/bounce")
        assert bounced.status_code == 302  # not followed
        state.hits = 0
        with pytest.raises(DeliveryFailed, match="was not called"):
            # Even a caller that asks to follow redirects gets the check on every hop.
            await send_request(
                http, "Webhook", "GET", f"http://localhost:{server.port}/bounce", follow_redirects=True
            )
        assert state.hits == 1  # the bounce; the redirect target was never reached


async def test_environment_proxies_are_ignored(
    target: tuple[LocalServer[Starlette], Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would connect on our behalf, past the check."""
    server, _ = target
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{server.port}")
    async with outbound_client("", timeout=5) as http:
        with pytest.raises(DeliveryFailed, match="was not called"):
            await send_request(http, "Webhook", "GET", "http://10.255.255.1:9/")


async def test_unresolvable_host_is_a_readable_failure() -> None:
    async with outbound_client("", timeout=5) as http:
        with pytest.raises(DeliveryFailed, match="does not resolve"):
            await send_request(http, "Slack", "POST", "http://no-such-host.invalid/", json={})


async def test_plain_httpx_client_is_not_what_we_use() -> None:
    """Guard the guard: the factory's transport is the guarded one."""
    async with outbound_client("", timeout=1) as http:
        assert type(http._transport).__name__ == "GuardedTransport"
        assert http.follow_redirects is False
        assert not isinstance(http._transport, httpx.MockTransport)
