"""Fixtures for handoff pages: signed-in cookie clients; the browser fixtures of tests/web reused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Member, login
from tests.web.conftest import browser, live_server  # noqa: F401  (fixtures, shared rather than copied)


def csrf_of(html: str) -> str:
    """The CSRF token a signed-in page carries in its meta tag."""
    return html.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]


@dataclass
class Signed:
    """A member signed in through the login form: a cookie client and the form CSRF token."""

    member: Member
    http: httpx.AsyncClient
    csrf: str

    async def get(self, url: str) -> httpx.Response:
        return await self.http.get(url)

    async def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return await self.http.post(url, data=form)


SignIn = Callable[[Member], Awaitable[Signed]]


@pytest.fixture
async def sign_in(app: FastAPI) -> AsyncIterator[SignIn]:
    clients: list[httpx.AsyncClient] = []

    async def _sign_in(member: Member) -> Signed:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test")
        clients.append(http)
        signed = await login(http, member.user.email)
        assert signed.status_code == 303, signed.text
        return Signed(member=member, http=http, csrf=csrf_of((await http.get("/sessions")).text))

    yield _sign_in
    for http in clients:
        await http.aclose()
