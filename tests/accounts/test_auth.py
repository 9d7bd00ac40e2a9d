"""Signing in and out, the login rate limit, CSRF, API tokens, the users API and removed users."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from relaydesk.web.deps import COOKIE
from tests.factories import PASSWORD, Member, make_account, make_user

BASE = "http://relaydesk.test"


def csrf_meta(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page has no csrf-token meta tag"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, *, next_url: str = "/sessions"
) -> httpx.Response:
    """The real form: fetch it (login CSRF cookie and field), then post it."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1), "next": next_url}
    )


async def signed_in_engineer(client: httpx.AsyncClient, db: Database) -> tuple[Member, str]:
    """An engineer signed in through the form, and the CSRF token their pages carry."""
    account = await make_account(db)
    member = await make_user(db, account, role="engineer")
    assert (await sign_in(client, member.user.email)).status_code == 303
    page = await client.get("/sessions")
    assert page.status_code == 200
    return member, csrf_meta(page.text)


# --- signing in -------------------------------------------------------------------------------


async def test_wrong_password_gets_the_401_page_and_no_cookie(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await make_account(db)
    member = await make_user(db, account)

    wrong = await sign_in(client, member.user.email, "not-the-password")
    assert wrong.status_code == 401
    assert "That email and password do not match." in wrong.text
    assert COOKIE not in wrong.cookies and COOKIE not in client.cookies

    unknown = await sign_in(client, "nobody@example.com", "not-the-password")
    assert unknown.status_code == 401 and "do not match" in unknown.text  # same answer: no user probing

    after = await client.get("/sessions")
    assert after.status_code == 303 and after.headers["location"] == "/login?next=/sessions"


async def test_success_sets_an_httponly_session_cookie(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    member = await make_user(db, account)

    response = await sign_in(client, member.user.email.upper())  # emails match case-insensitively
    assert response.status_code == 303 and response.headers["location"] == "/sessions"
    set_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in set_cookie.lower()
    assert "secure" not in attributes  # only with RELAYDESK_SECURE_COOKIES behind HTTPS

    page = await client.get("/sessions")
    assert page.status_code == 200 and member.user.name in page.text


async def test_login_rate_limit_counts_each_failed_request(
    client: httpx.AsyncClient, db: Database, settings: Settings, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    member = await make_user(db, account)
    limit = settings.login_max_failures

    for _ in range(limit):
        # every failure is its own request and its own transaction, yet each one is remembered
        assert (await sign_in(client, member.user.email, "wrong-password")).status_code == 401
    (recorded,) = admin_conn.execute(
        "SELECT count(*) FROM login_attempts WHERE email = %s", (member.user.email.lower(),)
    ).fetchone()  # type: ignore[misc]
    assert recorded == limit

    locked = await sign_in(client, member.user.email, "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert locked.headers["retry-after"] == str(settings.login_window_seconds)

    right_password = await sign_in(client, member.user.email)
    assert right_password.status_code == 429  # locked is locked, whatever the password
    assert COOKIE not in client.cookies


async def test_a_successful_sign_in_clears_the_failures(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account = await make_account(db)
    member = await make_user(db, account)
    limit = settings.login_max_failures

    for _ in range(limit - 1):
        assert (await sign_in(client, member.user.email, "wrong-password")).status_code == 401
    assert (await sign_in(client, member.user.email)).status_code == 303
    client.cookies.clear()

    for _ in range(limit - 1):  # counting starts again from zero
        assert (await sign_in(client, member.user.email, "wrong-password")).status_code == 401
    assert (await sign_in(client, member.user.email, "wrong-password")).status_code == 401
    assert (await sign_in(client, member.user.email, "wrong-password")).status_code == 429


async def test_the_login_form_needs_its_own_csrf_token(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    member = await make_user(db, account)
    await client.get("/login")
    forged = await client.post(
        "/login", data={"email": member.user.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403 and "The sign-in form expired" in forged.text
    assert COOKIE not in client.cookies


# --- signing out -------------------------------------------------------------------------------


async def test_logout_ends_the_session_and_a_stale_cookie_goes_to_login(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, csrf = await signed_in_engineer(client, db)
    stale = client.cookies[COOKIE]

    out = await client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert COOKIE not in client.cookies

    client.cookies.set(COOKIE, stale)
    page = await client.get("/sessions/new")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/sessions/new"
    api = await client.get("/api/v1/me")
    assert api.status_code == 401


async def test_logout_without_a_csrf_token_still_ends_the_server_session(
    client: httpx.AsyncClient, db: Database
) -> None:
    """A sign-out that only dropped the browser's cookie would leave a copied cookie working."""
    await signed_in_engineer(client, db)
    cookie = client.cookies[COOKIE]

    out = await client.post("/logout", data={})
    assert out.status_code == 303 and COOKIE not in client.cookies

    client.cookies.set(COOKIE, cookie)
    assert (await client.get("/sessions")).status_code == 303  # the server session is gone too
    assert (await client.get("/api/v1/me")).status_code == 401


# --- CSRF -----------------------------------------------------------------------------------------


async def test_cookie_json_writes_need_the_csrf_header(client: httpx.AsyncClient, db: Database) -> None:
    _, csrf = await signed_in_engineer(client, db)
    body = {"problem_summary": "VPN drops every 10 minutes"}

    missing = await client.post("/api/v1/sessions", json=body)
    assert missing.status_code == 403
    assert missing.json()["detail"] == "Missing or stale CSRF token; reload the page and try again."

    wrong = await client.post("/api/v1/sessions", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403

    ok = await client.post("/api/v1/sessions", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text

    reads = await client.get("/api/v1/sessions")  # reads need no token
    assert reads.status_code == 200 and len(reads.json()) == 1


async def test_a_form_post_with_a_wrong_csrf_token_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    member, _ = await signed_in_engineer(client, db)

    forged = await client.post(
        "/sessions/new", data={"problem_summary": "Printer offline", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert "This form has expired. Reload the page and try again." in forged.text

    missing = await client.post("/sessions/new", data={"problem_summary": "Printer offline"})
    assert missing.status_code == 403

    listed = await client.get("/api/v1/sessions", headers=member.headers)
    assert listed.json() == []


# --- API tokens -------------------------------------------------------------------------------


async def test_api_tokens_are_shown_once_work_as_bearer_and_can_be_revoked(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await make_account(db)
    member = await make_user(db, account)

    created = await client.post("/api/v1/tokens", headers=member.headers, json={"label": "ConnectWise"})
    assert created.status_code == 201, created.text
    token = created.json()
    assert token["label"] == "ConnectWise" and token["token"].startswith(token["prefix"])
    assert token["last_used_at"] is None and token["revoked_at"] is None

    listed = (await client.get("/api/v1/tokens", headers=member.headers)).json()
    assert all("token" not in t for t in listed)  # the secret is never shown again
    assert token["id"] in {t["id"] for t in listed}

    bearer = {"Authorization": f"Bearer {token['token']}"}
    me = await client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["id"] == str(member.user.id)

    listed = (await client.get("/api/v1/tokens", headers=member.headers)).json()
    assert next(t for t in listed if t["id"] == token["id"])["last_used_at"] is not None

    revoked = await client.delete(f"/api/v1/tokens/{token['id']}", headers=member.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None

    refused = await client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "That API token is unknown or revoked."
    assert (
        await client.get("/api/v1/me", headers=member.headers)
    ).status_code == 200  # the others still work


async def test_no_credentials_and_junk_tokens_get_401(client: httpx.AsyncClient, db: Database) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    junk = await client.get("/api/v1/me", headers={"Authorization": "Bearer rd_not-a-real-token"})
    assert junk.status_code == 401 and junk.headers["content-type"].startswith("application/problem+json")


# --- the users API ---------------------------------------------------------------------------


async def test_users_api_roles(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    admin = await make_user(db, account, role="admin")
    engineer = await make_user(db, account, role="engineer")
    viewer = await make_user(db, account, role="viewer")
    new_user = {"email": "new.tech@example.com", "name": "New Tech", "role": "engineer", "password": PASSWORD}

    added = await client.post("/api/v1/users", headers=admin.headers, json=new_user)
    assert added.status_code == 201, added.text
    assert added.json()["account_id"] == str(account.id) and added.json()["role"] == "engineer"
    assert "password" not in added.json() and "password_hash" not in added.json()

    by_engineer = await client.post(
        "/api/v1/users", headers=engineer.headers, json={**new_user, "email": "other@example.com"}
    )
    assert by_engineer.status_code == 403 and "manage users" in by_engineer.json()["detail"]

    duplicate = await client.post(
        "/api/v1/users", headers=admin.headers, json={**new_user, "email": "New.Tech@Example.com"}
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]

    owner_by_admin = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={**new_user, "email": "boss@example.com", "role": "owner"},
    )
    assert owner_by_admin.status_code == 422

    viewer_session = await client.post(
        "/api/v1/sessions", headers=viewer.headers, json={"problem_summary": "Cannot print"}
    )
    assert viewer_session.status_code == 403

    # the new user signs in with the password the admin set
    assert (await sign_in(client, "new.tech@example.com")).status_code == 303


async def test_a_removed_user_can_neither_sign_in_nor_use_tokens_or_cookies(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    account = await make_account(db)
    admin = await make_user(db, account, role="admin")
    leaver = await make_user(db, account, role="engineer")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as browser:
        assert (await sign_in(browser, leaver.user.email)).status_code == 303

        removed = await client.delete(f"/api/v1/users/{leaver.user.id}", headers=admin.headers)
        assert removed.status_code == 200 and removed.json()["deleted_at"] is not None

        kept_cookie = await browser.get("/sessions")
        assert kept_cookie.status_code == 303 and kept_cookie.headers["location"].startswith("/login")

    assert (await sign_in(client, leaver.user.email)).status_code == 401
    assert (await client.get("/api/v1/me", headers=leaver.headers)).status_code == 401
    listed = (await client.get("/api/v1/users", headers=admin.headers)).json()
    assert str(leaver.user.id) not in {u["id"] for u in listed}

    # the address is free again for a new person
    again = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"email": leaver.user.email, "name": "Returning", "role": "viewer"},
    )
    assert again.status_code == 201


# --- the open-redirect guard ------------------------------------------------------------------


def browser_target(location: str) -> str:
    """Where a browser would go: it drops tabs and newlines and reads a backslash as a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urljoin(f"{BASE}/login", cleaned)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phish",
        "https://evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example/phish",
        "/\t/evil.example/phish",
        "javascript:alert(1)",
        "evil.example",
    ],
)
async def test_next_never_leaves_the_site(client: httpx.AsyncClient, db: Database, target: str) -> None:
    account = await make_account(db)
    member = await make_user(db, account)

    response = await sign_in(client, member.user.email, next_url=target)
    assert response.status_code == 303
    landing = urlsplit(browser_target(response.headers["location"]))
    assert (landing.scheme, landing.netloc) == ("http", "relaydesk.test"), response.headers["location"]

    page = await client.get("/login", params={"next": target})  # already signed in: straight through
    landing = urlsplit(browser_target(page.headers["location"]))
    assert landing.netloc == "relaydesk.test", page.headers["location"]


async def test_next_keeps_a_same_site_path(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    member = await make_user(db, account)

    form = await client.get("/login", params={"next": "//evil.example"})
    assert 'name="next" value="/sessions"' in form.text

    response = await sign_in(client, member.user.email, next_url="/sessions/new?from=bell")
    assert response.status_code == 303 and response.headers["location"] == "/sessions/new?from=bell"
