"""Security headers on every response: each route of the app, signed out and signed in, static
files, errors and the BodyLimit's 413."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from relaydesk.web.headers import ATTACHMENT_CSP, ATTACHMENT_PATHS, CSP
from tests.factories import make_account, make_user


def assert_secured(response: httpx.Response, *, hsts: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    if response.request.url.path.startswith(ATTACHMENT_PATHS):  # an attachment's bytes: stricter
        assert csp == ATTACHMENT_CSP, where
    elif not response.request.url.path.startswith("/api/docs"):
        assert csp == CSP, where
        assert "unsafe-inline" not in csp, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where
    assert ("strict-transport-security" in response.headers) is hsts, where


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "4711" if "ticket" in m.group(0) else str(uuid.uuid4()), path)


def _routes(routes: list[Any]) -> list[tuple[str, str]]:
    """Every (method, path) of the app; included routers are walked into (the app includes them
    without a prefix of its own: each router carries its prefix)."""
    found = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _routes(route.original_router.routes)
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, _concrete(route.path)))
    return found


async def test_every_route_carries_the_headers(app: FastAPI, client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    owner = await make_user(db, account, role="owner", password=None)
    routes = _routes(app.routes)
    assert len(routes) > 40  # the walk sees the whole app, not a few routes
    for method, path in routes:
        # The live stream never ends, and the in-process transport reads a body to its end: it
        # is checked signed out here, and its stream's headers come from the same middleware.
        for headers in ({},) if path == "/api/v1/live" else ({}, owner.headers):
            response = await client.request(method, path, headers=headers)
            assert_secured(response)
    assert_secured(await client.get("/api/v1/live?since=x", headers=owner.headers))
    for extra in ("/static/app.css", "/static/app.js", "/api/openapi.json", "/api/docs", "/no/such/page"):
        assert_secured(await client.get(extra))
    too_big = await client.post("/api/v1/sessions", content=b"x" * 2_000_000, headers=owner.headers)
    assert too_big.status_code == 413
    assert_secured(too_big)


@pytest.fixture
async def https_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    secure = create_app(settings.model_copy(update={"secure_cookies": True}))

    @secure.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    async with secure.router.lifespan_context(secure):
        transport = httpx.ASGITransport(app=secure, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://relaydesk.test") as http:
            yield http


async def test_hsts_behind_https_and_on_a_500(https_client: httpx.AsyncClient) -> None:
    assert_secured(await https_client.get("/login"), hsts=True)
    crashed = await https_client.get("/api/v1/boom")
    assert crashed.status_code == 500
    assert_secured(crashed, hsts=True)
