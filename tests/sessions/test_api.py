"""The sessions JSON API: create, list, read, steps, resolve; bad input; other accounts."""

from __future__ import annotations

import uuid

import httpx
import pytest

from relaydesk.db.uow import Database
from tests.factories import make_account, make_session, make_step, make_user


async def test_create_add_steps_and_resolve(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")

    created = await client.post(
        "/api/v1/sessions",
        headers=jane.headers,
        json={
            "problem_summary": "  Outlook is failing to sync email  ",
            "client_name": "Acme Dental",
            "ticket_id": "12345",
            "priority": "high",
            "category": "Email",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["problem_summary"] == "Outlook is failing to sync email"
    assert body["status"] == "active" and body["owner_name"] == "Jane Doe" and body["steps"] == []
    sid = body["id"]

    step = await client.post(
        f"/api/v1/sessions/{sid}/steps",
        headers=jane.headers,
        json={"action": "Recreated the profile", "result": "Same error", "outcome": "failed"},
    )
    assert step.status_code == 201, step.text
    note = await client.post(
        f"/api/v1/sessions/{sid}/steps",
        headers=jane.headers,
        json={"action": "User says it started after the password change"},
    )
    assert note.json()["is_note"] is True and note.json()["outcome"] == "info"

    detail = (await client.get(f"/api/v1/sessions/{sid}", headers=jane.headers)).json()
    assert [s["action"] for s in detail["steps"]] == [
        "Recreated the profile",
        "User says it started after the password change",
    ]
    assert detail["step_count"] == 2

    listed = (await client.get("/api/v1/sessions?status=active", headers=jane.headers)).json()
    assert [s["id"] for s in listed] == [sid]

    resolved = await client.post(
        f"/api/v1/sessions/{sid}/resolve",
        headers=jane.headers,
        json={"resolution": "Cleared cached credentials in Credential Manager"},
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]

    again = await client.post(f"/api/v1/sessions/{sid}/steps", headers=jane.headers, json={"action": "x"})
    assert again.status_code == 409
    assert "active" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"problem_summary": ""}, "problem summary cannot be empty"),
        ({"problem_summary": "   "}, "problem summary cannot be empty"),
        ({}, "problem_summary"),
        ({"problem_summary": "x", "priority": "asap"}, "priority"),
        ({"problem_summary": "x" * 2001}, "problem_summary"),
    ],
)
async def test_bad_session_input_is_a_problem_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, body: dict, needle: str
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    response = await client.post("/api/v1/sessions", headers=jane.headers, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Invalid input"
    assert needle.lower() in problem["detail"].lower()
    assert (await client.get("/api/v1/sessions", headers=jane.headers)).json() == []


async def test_malformed_requests_get_4xx_not_500(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    headers = {**jane.headers, "content-type": "application/json"}

    bad_uuid = await client.get("/api/v1/sessions/not-a-uuid", headers=jane.headers)
    assert bad_uuid.status_code == 422 and "uuid" in bad_uuid.json()["detail"].lower()

    bad_utf8 = await client.post(
        "/api/v1/sessions", headers=headers, content=b'{"problem_summary": "\xff\xfe"}'
    )
    assert 400 <= bad_utf8.status_code < 500
    assert bad_utf8.headers["content-type"].startswith("application/problem+json")

    not_json = await client.post("/api/v1/sessions", headers=headers, content=b"{nope")
    assert not_json.status_code == 422

    huge = await client.post(
        "/api/v1/sessions", headers=headers, content=b'{"problem_summary": "' + b"a" * 20_000_000 + b'"}'
    )
    assert huge.status_code == 413
    assert "limit" in huge.json()["detail"]

    async def chunks():  # no Content-Length: the limit must still hold while streaming
        yield b'{"problem_summary": "'
        for _ in range(30):
            yield b"a" * 100_000
        yield b'"}'

    streamed = await client.post("/api/v1/sessions", headers=headers, content=chunks())
    assert streamed.status_code == 413
    assert (await client.get("/api/v1/sessions", headers=jane.headers)).json() == []


async def test_bad_step_input(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    session = await make_session(db, jane)
    for body in ({"action": ""}, {"action": "x", "outcome": "worked"}):
        response = await client.post(f"/api/v1/sessions/{session.id}/steps", headers=jane.headers, json=body)
        assert response.status_code == 422, response.text
    empty = await client.post(
        f"/api/v1/sessions/{session.id}/resolve", headers=jane.headers, json={"resolution": " "}
    )
    assert empty.status_code == 422
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()["steps"] == []


async def test_other_accounts_sessions_are_404_everywhere(client: httpx.AsyncClient, db: Database) -> None:
    a, b = await make_account(db), await make_account(db)
    jane = await make_user(db, a)
    mallory = await make_user(db, b, role="owner")
    session = await make_session(db, jane)

    for method, path, body in [
        ("GET", f"/api/v1/sessions/{session.id}", None),
        ("POST", f"/api/v1/sessions/{session.id}/steps", {"action": "poke"}),
        ("POST", f"/api/v1/sessions/{session.id}/resolve", {"resolution": "done"}),
    ]:
        response = await client.request(method, path, headers=mallory.headers, json=body)
        assert response.status_code == 404, (path, response.text)
    assert (await client.get("/api/v1/sessions", headers=mallory.headers)).json() == []
    assert (await client.get(f"/api/v1/sessions/{uuid.uuid4()}", headers=jane.headers)).status_code == 404


async def test_visibility_inside_an_account(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    sam = await make_user(db, account)
    viewer = await make_user(db, account, role="viewer")
    admin = await make_user(db, account, role="admin")
    session = await make_session(db, jane)
    await make_step(db, jane, session)

    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=sam.headers)).status_code == 404
    # viewers read every session of the account (handoffs/policy.py `reads_account`)
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=viewer.headers)).status_code == 200
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=admin.headers)).status_code == 200
    # an admin may step in; a viewer may never write
    assert (
        await client.post(
            f"/api/v1/sessions/{session.id}/steps",
            headers=admin.headers,
            json={"action": "Checked the mailbox quota"},
        )
    ).status_code == 201
    created = await client.post("/api/v1/sessions", headers=viewer.headers, json={"problem_summary": "x"})
    assert created.status_code == 403 and "viewer" in created.json()["detail"]


async def test_unauthenticated_and_openapi(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/sessions")
    assert response.status_code == 401
    assert response.json()["title"] == "Not signed in"
    bogus = await client.get("/api/v1/me", headers={"Authorization": "Bearer rd_nope"})
    assert bogus.status_code == 401
    spec = (await client.get("/api/openapi.json")).json()
    for path in (
        "/api/v1/me",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
        "/api/v1/sessions/{session_id}/steps",
        "/api/v1/sessions/{session_id}/resolve",
    ):
        assert path in spec["paths"]
    assert (await client.get("/healthz")).json()["status"] == "ok"
