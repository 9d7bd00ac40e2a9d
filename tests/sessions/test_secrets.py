"""Secrets in steps: a marked one sealed at rest, every one masked on screen, reveals audited."""

from __future__ import annotations

import httpx
import psycopg

from relaydesk.db.uow import Database
from relaydesk.redaction import redact
from tests.factories import escalate, login, make_account, make_session, make_user

MARKED = "Gate4471Door"
FOUND = "Summer2024!"


async def _setup(client: httpx.AsyncClient, db: Database):  # type: ignore[no-untyped-def]
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    session = await make_session(db, jane)
    response = await client.post(
        f"/api/v1/sessions/{session.id}/steps",
        headers=jane.headers,
        json={
            "action": f"Reset the gate controller, code [[secret:{MARKED}]]",
            "result": f"admin pw: {FOUND}",
        },
    )
    assert response.status_code == 201, response.text
    return account, jane, session, response.json()


async def test_a_marked_secret_is_stored_sealed_and_never_sent(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    _, _, _, step = await _setup(client, db)
    (action, result) = admin_conn.execute(
        "SELECT action, result FROM steps WHERE id = %s", (step["id"],)
    ).fetchone()
    assert MARKED not in action and "[[secret:sealed:" in action  # encrypted at rest
    assert result == f"admin pw: {FOUND}"  # what the redactor finds: the stored step keeps the original
    assert redact(action) == "Reset the gate controller, code [redacted marked secret]"
    assert redact(f"typed in a note: [[secret:{MARKED}]]") == "typed in a note: [redacted marked secret]"


async def test_secrets_are_masked_in_the_workspace_and_revealed_with_an_event(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    _, jane, session, step = await _setup(client, db)
    await login(client, jane.user.email)
    page = (await client.get(f"/sessions/{session.id}")).text
    assert MARKED not in page and FOUND not in page and "sealed:" not in page
    assert page.count('class="secret-mask"') == 2 and "•••••• marked secret" in page

    url = f"/api/v1/sessions/{session.id}/steps/{step['id']}/reveal"
    found = await client.post(url, headers=jane.headers, json={"field": "result", "index": 0})
    marked = await client.post(url, headers=jane.headers, json={"field": "action", "index": 0})
    assert found.json() == {"value": FOUND, "kind": "password"}
    assert marked.json() == {"value": MARKED, "kind": "marked secret"}
    events = admin_conn.execute(
        "SELECT actor_id, payload FROM events "
        "WHERE type = 'secret.revealed' AND session_id = %s ORDER BY seq",
        (session.id,),
    ).fetchall()
    assert [(e[0], e[1]["field"], e[1]["kind"]) for e in events] == [
        (jane.user.id, "result", "password"),
        (jane.user.id, "action", "marked secret"),
    ]
    assert all(FOUND not in str(e[1]) and MARKED not in str(e[1]) for e in events)

    missing = await client.post(url, headers=jane.headers, json={"field": "action", "index": 5})
    assert missing.status_code == 404
    other = await make_user(db, await make_account(db), name="Other")
    assert (
        await client.post(url, headers=other.headers, json={"field": "action", "index": 0})
    ).status_code == 404
    assert (
        await client.post(url, headers=jane.headers, json={"field": "notes", "index": 0})
    ).status_code == 422


async def test_the_pickup_screen_masks_secrets_in_the_story(client: httpx.AsyncClient, db: Database) -> None:
    account, jane, session, step = await _setup(client, db)
    sam = await make_user(db, account, name="Sam Senior")
    await escalate(db, jane, session, reason="Stuck. The controller pw is Rel4y#Stuck")
    await login(client, sam.user.email)
    page = (await client.get(f"/sessions/{session.id}/pickup")).text
    for secret in (MARKED, FOUND, "Rel4y#Stuck", "sealed:"):
        assert secret not in page
    assert page.count('class="secret-mask"') == 3
    assert f"/api/v1/sessions/{session.id}/steps/{step['id']}/reveal" in page
