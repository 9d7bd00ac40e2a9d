"""NUL characters anywhere in request data: a 422 naming the field, never a 500, and no request
data in the error log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests.factories import make_account, make_user


async def test_json_query_and_path_nul_is_a_422_naming_the_field(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, password=None)
    caplog.set_level(logging.DEBUG)
    created = await client.post(
        "/api/v1/sessions", headers=jane.headers, json={"problem_summary": "a\u0000b", "client": "Contoso"}
    )
    assert created.status_code == 422, created.text
    assert created.headers["content-type"].startswith("application/problem+json")
    assert "body.problem_summary" in created.json()["detail"]
    assert created.json()["errors"][0]["field"] == "body.problem_summary"

    good = await client.post(
        "/api/v1/sessions", headers=jane.headers, json={"problem_summary": "Outlook prompts"}
    )
    assert good.status_code == 201, good.text
    session_id = good.json()["id"]
    step = await client.post(
        f"/api/v1/sessions/{session_id}/steps",
        headers=jane.headers,
        json={"action": "Rebuilt profile", "result": "still \u0000 prompts", "outcome": "failed"},
    )
    assert step.status_code == 422 and "body.result" in step.json()["detail"]

    listed = await client.get("/api/v1/sessions?q=a%00b", headers=jane.headers)
    assert listed.status_code == 422 and "query.q" in listed.json()["detail"], listed.text
    ticket = await client.get("/api/v1/psa/tickets/1%002", headers=jane.headers)
    assert ticket.status_code == 422 and "path.ticket_id" in ticket.json()["detail"]
    assert "a\x00b" not in caplog.text and "still" not in caplog.text


async def test_login_form_with_nul_email_is_a_readable_422(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = await client.post(
        "/login", data={"email": "jane\x00@msp.example", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "form.email" in response.text and "NUL" in response.text
    assert response.headers["content-type"].startswith("text/html")


@pytest.fixture
async def failing_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        async with app.state.db.uow() as uow:  # PostgreSQL quotes the bad value in its message
            await uow.result(text("SELECT CAST(:v AS integer)"), {"v": "secret-" + "typed-value"})

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            yield http


async def test_errors_log_no_request_data(
    failing_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await failing_client.get("/api/v1/boom")
    assert response.status_code == 500 and "secret-typed-value" not in response.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failure is logged"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in errors)
    assert "DataError" in logged and "boom" in logged  # what and where
    assert "secret-typed-value" not in logged
