"""The sign-in limits under load and from several addresses: one atomic count, a locked email that
still admits its owner from elsewhere after a short delay, and X-Forwarded-For only from proxies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from relaydesk.accounts.clientip import client_ip, parse_proxies
from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from relaydesk.web.deps import COOKIE
from tests.accounts.test_auth import sign_in
from tests.factories import PASSWORD, make_account, make_user


def test_client_ip_believes_forwarded_for_only_from_proxies() -> None:
    proxies = parse_proxies("10.0.0.0/8, 192.168.1.5")
    assert client_ip("203.0.113.9", ["1.2.3.4"], proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_ip("10.0.0.2", ["1.2.3.4"], proxies) == "1.2.3.4"
    # The client may write anything left of what our proxies appended: the right-most untrusted hop.
    assert client_ip("10.0.0.2", ["6.6.6.6, 1.2.3.4, 192.168.1.5"], proxies) == "1.2.3.4"
    assert client_ip("10.0.0.2", [], proxies) == "10.0.0.2"
    assert client_ip("10.0.0.2", ["1.2.3.4"], ()) == "10.0.0.2"
    with pytest.raises(ValueError):
        parse_proxies("not-an-ip")


async def test_parallel_wrong_attempts_pass_the_limit_exactly_once_each(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account = await make_account(db)
    member = await make_user(db, account)
    limit = settings.login_max_failures
    # One form (its token pairs with the login cookie), posted 20 times at once.
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    async def attempt() -> int:
        response = await client.post(
            "/login", data={"email": member.user.email, "password": "wrong-password", "csrf_token": token}
        )
        return response.status_code

    codes = await asyncio.gather(*(attempt() for _ in range(20)))
    assert sorted(codes).count(401) == limit, codes
    assert sorted(codes).count(429) == 20 - limit, codes


@pytest.fixture
async def proxied(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a reverse proxy on loopback (the in-process client connects from 127.0.0.1)."""
    app = create_app(
        settings.model_copy(update={"trusted_proxies": "127.0.0.1", "login_locked_delay_seconds": 0.5})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            yield http


async def test_a_locked_email_admits_the_right_password_from_another_address_after_a_delay(
    proxied: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account = await make_account(db)
    owner = await make_user(db, account, role="owner")
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    proxied.headers.update(attacker)
    for _ in range(settings.login_max_failures):
        assert (await sign_in(proxied, owner.user.email, "guess")).status_code == 401
    assert (await sign_in(proxied, owner.user.email, "guess")).status_code == 429
    assert (await sign_in(proxied, owner.user.email, PASSWORD)).status_code == 429  # not for the guesser

    proxied.headers["X-Forwarded-For"] = "203.0.113.20"  # the owner at their own desk
    started = time.monotonic()
    response = await sign_in(proxied, owner.user.email, PASSWORD)
    assert response.status_code == 303 and COOKIE in proxied.cookies
    assert time.monotonic() - started >= 0.5  # let in, slowly


async def test_forwarded_for_from_a_stranger_does_not_reset_the_count(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    """Without trusted proxies, a guesser who writes a new X-Forwarded-For each time is one address."""
    account = await make_account(db)
    member = await make_user(db, account)
    for n in range(settings.login_max_failures):
        client.headers["X-Forwarded-For"] = f"198.51.100.{n}"
        assert (await sign_in(client, member.user.email, "guess")).status_code == 401
    client.headers["X-Forwarded-For"] = "203.0.113.99"
    assert (await sign_in(client, member.user.email, PASSWORD)).status_code == 429


async def test_adding_an_email_of_another_account_reveals_nothing(
    client: httpx.AsyncClient, db: Database, admin_conn: Any
) -> None:
    mine = await make_account(db)
    owner = await make_user(db, mine, role="owner", password=None)
    theirs = await make_account(db)
    elsewhere = await make_user(db, theirs, email="carol@other-msp.example", password=None)
    body = {"name": "Carol", "role": "engineer", "password": None}

    fresh = await client.post(
        "/api/v1/users", headers=owner.headers, json={**body, "email": "new@msp.example"}
    )
    taken = await client.post(
        "/api/v1/users", headers=owner.headers, json={**body, "email": "Carol@Other-MSP.example"}
    )
    assert fresh.status_code == taken.status_code == 201, taken.text
    assert set(fresh.json()) == set(taken.json())
    assert taken.json()["account_id"] == str(mine.id)
    # The safe outcome: nothing stored in either account, the other user untouched.
    rows = admin_conn.execute(
        "SELECT account_id, name FROM users WHERE lower(email) = 'carol@other-msp.example'"
    ).fetchall()
    assert rows == [(theirs.id, elsewhere.user.name)]
