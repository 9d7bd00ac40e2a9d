"""Handoffs over the JSON API: escalate, the race-safe claim, withdraw, release, park, queue, bell, events."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests.factories import escalate, make_account, make_session, make_step, make_user


async def _team(db: Database):
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    sam = await make_user(db, account, name="Sam Lee")
    kim = await make_user(db, account, name="Kim Park")
    viewer = await make_user(db, account, role="viewer", name="Val Viewer")
    owner = await make_user(db, account, role="owner", name="Olga Owner")
    return account, jane, sam, kim, viewer, owner


async def test_escalate_claim_flow(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, kim, viewer, owner = await _team(db)
    session = await make_session(
        db,
        jane,
        problem="Outlook is failing to sync email for the whole front desk "
        "since the tenant moved to modern authentication last night",
    )
    await make_step(
        db, jane, session, action="Recreated the Outlook profile", result="Same error", outcome="failed"
    )
    await make_step(db, jane, session, action="OWA works fine", result=None, outcome="info")

    created = await client.post(
        f"/api/v1/sessions/{session.id}/handoffs",
        headers=jane.headers,
        json={"intent": "escalate", "reason": "Out of ideas", "notes": "User is VIP"},
    )
    assert created.status_code == 201, created.text
    handoff = created.json()
    assert handoff["status"] == "open" and handoff["summary_state"] == "pending"
    snap = handoff["snapshot"]
    assert [s["action"] for s in snap["steps"]] == ["Recreated the Outlook profile", "OWA works fine"]
    assert snap["steps"][0]["outcome"] == "failed" and snap["steps"][0]["author"] == "Jane Doe"
    assert (
        snap["reason"] == "Out of ideas" and snap["notes"] == "User is VIP" and snap["ticket_id"] == "12345"
    )

    session_now = (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()
    assert session_now["status"] == "escalated"
    # in transit: any engineer of the account may read the session (the pickup screen)
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=sam.headers)).status_code == 200

    queue = (await client.get("/api/v1/handoffs?status=open", headers=sam.headers)).json()
    assert [q["id"] for q in queue] == [handoff["id"]]
    assert queue[0]["step_count"] == 2 and queue[0]["created_by_name"] == "Jane Doe"
    assert queue[0]["summary_state"] == "pending"
    assert (await client.get("/api/v1/handoffs", headers=jane.headers)).json() == []  # never your own

    bell = (await client.get("/api/v1/notifications", headers=sam.headers)).json()
    assert bell["unread"] == 1
    title = bell["items"][0]["title"]
    assert title.startswith("Escalation from Jane Doe · #12345: Outlook is failing to sync email")
    assert title.endswith("…") and len(title) < 120
    assert bell["items"][0]["link"] == f"/sessions/{session.id}/pickup"
    assert (await client.get("/api/v1/notifications", headers=viewer.headers)).json()["unread"] == 0
    assert (await client.get("/api/v1/notifications", headers=jane.headers)).json()["unread"] == 0
    assert (await client.get("/api/v1/notifications", headers=owner.headers)).json()["unread"] == 1

    assert (
        await client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=jane.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=viewer.headers)
    ).status_code == 403

    won = await client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=sam.headers)
    assert won.status_code == 200, won.text
    assert won.json()["claimed_by_name"] == "Sam Lee"
    lost = await client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=kim.headers)
    assert lost.status_code == 409
    assert lost.json()["claimed_by"] == "Sam Lee" and lost.json()["claimed_at"]
    assert "Sam Lee picked this up" in lost.json()["detail"]

    session_now = (await client.get(f"/api/v1/sessions/{session.id}", headers=sam.headers)).json()
    assert session_now["status"] == "active" and session_now["assignee_name"] == "Sam Lee"
    # the escalator keeps read access and sees who took it
    mine = (await client.get(f"/api/v1/handoffs/{handoff['id']}", headers=jane.headers)).json()
    assert mine["claimed_by_name"] == "Sam Lee"
    jane_bell = (await client.get("/api/v1/notifications", headers=jane.headers)).json()
    assert jane_bell["items"][0]["title"].startswith("Sam Lee picked up your escalation")
    kim_bell = (await client.get("/api/v1/notifications", headers=kim.headers)).json()
    assert kim_bell["items"][0]["state"] == "taken"
    # once claimed, a bystander engineer no longer reads the session
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=kim.headers)).status_code == 404

    step = await client.post(
        f"/api/v1/sessions/{session.id}/steps",
        headers=sam.headers,
        json={"action": "Cleared the cached credentials", "outcome": "fixed", "result": "Syncs again"},
    )
    assert step.status_code == 201

    events = (await client.get(f"/api/v1/sessions/{session.id}/events", headers=jane.headers)).json()
    types = [e["type"] for e in events]
    assert types[0] == "handoff.created" and "handoff.claimed" in types
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    created_event = events[0]["payload"]
    assert created_event["escalator"] == "Jane Doe" and created_event["step_count"] == 2


async def test_handoff_input_rules(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, viewer, _ = await _team(db)
    other = await make_user(db, await make_account(db))
    session = await make_session(db, jane)
    url = f"/api/v1/sessions/{session.id}/handoffs"
    cases = [
        ({"intent": "escalate"}, 422, "reason is required"),
        ({"intent": "escalate", "reason": "  "}, 422, "reason is required"),
        ({"intent": "transfer", "reason": "x"}, 422, "intent"),
        ({"intent": "escalate", "reason": "x", "target_user_id": str(jane.user.id)}, 422, "yourself"),
        ({"intent": "escalate", "reason": "x", "target_user_id": str(viewer.user.id)}, 422, "viewer"),
        ({"intent": "escalate", "reason": "x", "target_user_id": str(other.user.id)}, 422, "not a member"),
        ({"intent": "escalate", "reason": "x", "target_user_id": "nope"}, 422, "uuid"),
    ]
    for body, status, needle in cases:
        response = await client.post(url, headers=jane.headers, json=body)
        assert response.status_code == status, (body, response.text)
        assert needle in response.json()["detail"].lower(), (body, response.json())
    # only the owner or assignee, only from active
    assert (
        await client.post(url, headers=sam.headers, json={"intent": "escalate", "reason": "x"})
    ).status_code == 404
    assert (
        await client.post(url, headers=viewer.headers, json={"intent": "escalate", "reason": "x"})
    ).status_code == 403
    assert (
        await client.post(url, headers=jane.headers, json={"intent": "escalate", "reason": "x"})
    ).status_code == 201
    again = await client.post(url, headers=jane.headers, json={"intent": "escalate", "reason": "x"})
    assert again.status_code == 409 and "escalated" in again.json()["detail"]
    assert (await client.get("/api/v1/handoffs", headers=sam.headers)).json()[0]["status"] == "open"


async def test_targeted_escalation(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, kim, _, owner = await _team(db)
    session = await make_session(db, jane)
    handoff = await escalate(db, jane, session, target=sam.user.id)
    assert (await client.get("/api/v1/notifications", headers=sam.headers)).json()["unread"] == 1
    assert (await client.get("/api/v1/notifications", headers=kim.headers)).json()["unread"] == 0
    assert (await client.get("/api/v1/handoffs", headers=kim.headers)).json() == []
    assert [
        q["id"] for q in (await client.get("/api/v1/handoffs?target=me", headers=sam.headers)).json()
    ] == [str(handoff.id)]
    assert (await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=kim.headers)).status_code == 403
    # an owner may take it anyway
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=owner.headers)
    ).status_code == 200


async def test_withdraw(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, _, _ = await _team(db)
    session = await make_session(db, jane)
    handoff = await escalate(db, jane, session)
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/withdraw", headers=sam.headers)
    ).status_code == 403
    done = await client.post(f"/api/v1/handoffs/{handoff.id}/withdraw", headers=jane.headers)
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()[
        "status"
    ] == "active"
    assert (await client.get("/api/v1/notifications", headers=sam.headers)).json()["items"][0][
        "state"
    ] == "withdrawn"
    late = await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=sam.headers)
    assert late.status_code == 409 and "withdrew" in late.json()["detail"]
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/withdraw", headers=jane.headers)
    ).status_code == 409


async def test_release_reopens_with_cooldown(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, kim, _, _ = await _team(db)
    session = await make_session(db, jane)
    handoff = await escalate(db, jane, session)
    assert (await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=sam.headers)).status_code == 200
    # once claimed, a bystander may no longer read it: 404, as for what does not exist
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/release", headers=kim.headers, json={"reason": "x"})
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/release", headers=sam.headers, json={"reason": " "})
    ).status_code == 422
    released = await client.post(
        f"/api/v1/handoffs/{handoff.id}/release",
        headers=sam.headers,
        json={"reason": "Needs someone with Exchange admin"},
    )
    assert released.status_code == 200 and released.json()["status"] == "open"
    assert released.json()["release_count"] == 1
    detail = (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()
    assert detail["status"] == "escalated" and detail["assignee_id"] is None
    again = await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=sam.headers)
    assert again.status_code == 409 and "released" in again.json()["detail"]
    kim_bell = (await client.get("/api/v1/notifications", headers=kim.headers)).json()
    assert kim_bell["unread"] == 2 and kim_bell["items"][0]["state"] == "actionable"
    assert (await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=kim.headers)).status_code == 200
    types = [
        e["type"]
        for e in (await client.get(f"/api/v1/sessions/{session.id}/events", headers=jane.headers)).json()
    ]
    assert "handoff.released" in types
    async with db.uow(jane.actor.account_id) as uow:
        from relaydesk.handoffs.models import Handoff

        row = await uow.get(Handoff, handoff.id)
        assert row.created_at == handoff.created_at and row.first_claimed_at < row.claimed_at


async def test_park_and_resume_are_private(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, _, owner = await _team(db)
    session = await make_session(db, jane)
    parked = await client.post(
        f"/api/v1/sessions/{session.id}/handoffs",
        headers=jane.headers,
        json={"intent": "park", "notes": "Waiting for the user to be back"},
    )
    assert parked.status_code == 201 and parked.json()["status"] == "parked"
    assert (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()[
        "status"
    ] == "parked"
    assert (await client.get("/api/v1/handoffs", headers=sam.headers)).json() == []
    for member in (sam, owner):
        assert (await client.get("/api/v1/notifications", headers=member.headers)).json()["unread"] == 0
    assert (
        await client.post(f"/api/v1/sessions/{session.id}/resume", headers=sam.headers)
    ).status_code == 404
    resumed = await client.post(f"/api/v1/sessions/{session.id}/resume", headers=jane.headers)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert (
        await client.post(f"/api/v1/sessions/{session.id}/resume", headers=jane.headers)
    ).status_code == 409
    # the parked event is the owner's alone
    sam_view = await client.get(f"/api/v1/sessions/{session.id}/events", headers=owner.headers)
    assert [e["type"] for e in sam_view.json()] == []


async def test_another_accounts_handoffs_are_404_everywhere(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, _, _ = await _team(db)
    outsider = await make_user(db, await make_account(db), role="owner")
    session = await make_session(db, jane)
    handoff = await escalate(db, jane, session)
    bell_item = (await client.get("/api/v1/notifications", headers=sam.headers)).json()
    calls = [
        ("POST", f"/api/v1/sessions/{session.id}/handoffs", {"intent": "escalate", "reason": "x"}),
        ("POST", f"/api/v1/sessions/{session.id}/resume", None),
        ("GET", f"/api/v1/sessions/{session.id}/events", None),
        ("GET", f"/api/v1/handoffs/{handoff.id}", None),
        ("POST", f"/api/v1/handoffs/{handoff.id}/claim", None),
        ("POST", f"/api/v1/handoffs/{handoff.id}/withdraw", None),
        ("POST", f"/api/v1/handoffs/{handoff.id}/release", {"reason": "x"}),
        ("POST", f"/api/v1/notifications/{bell_item['items'][0]['id']}/read", None),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, headers=outsider.headers, json=body)
        assert response.status_code == 404, (path, response.status_code, response.text)
    assert (await client.get("/api/v1/handoffs", headers=outsider.headers)).json() == []
    assert (await client.get("/api/v1/notifications", headers=outsider.headers)).json()["unread"] == 0


async def test_bell_read_and_read_all(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, _, _ = await _team(db)
    for n in range(3):
        await escalate(db, jane, await make_session(db, jane, problem=f"Printer {n} offline"))
    bell = (await client.get("/api/v1/notifications", headers=sam.headers)).json()
    assert bell["unread"] == 3
    first = bell["items"][0]["id"]
    assert (await client.post(f"/api/v1/notifications/{first}/read", headers=sam.headers)).status_code == 200
    bell = (await client.get("/api/v1/notifications", headers=sam.headers)).json()
    assert bell["unread"] == 2 and bell["items"][-1]["id"] == first  # unread first
    assert (await client.post("/api/v1/notifications/read-all", headers=sam.headers)).json() == {"marked": 2}


async def test_a_failure_inside_escalate_leaves_nothing(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    _, jane, sam, _, _, _ = await _team(db)
    session = await make_session(db, jane)
    await make_step(db, jane, session)
    # A real fault in the middle of the transaction: the bell insert fails after the handoff,
    # the session update and the handoff.created event were already written.
    admin_conn.execute("""
        CREATE FUNCTION fail_bell() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected fault'; END $$;
        CREATE TRIGGER fail_bell BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION fail_bell();
    """)
    try:
        response = await client.post(
            f"/api/v1/sessions/{session.id}/handoffs",
            headers=jane.headers,
            json={"intent": "escalate", "reason": "stuck"},
        )
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "nothing was saved" in response.json()["detail"]
    finally:
        admin_conn.execute("DROP TRIGGER fail_bell ON notifications; DROP FUNCTION fail_bell();")
    for table in ("handoffs", "events", "notifications"):
        assert admin_conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    status = admin_conn.execute("SELECT status FROM sessions WHERE id = %s", (session.id,)).fetchone()
    assert status == ("active",)
    assert (await client.get("/api/v1/handoffs", headers=sam.headers)).json() == []


@pytest.fixture
async def wide_app(settings: Settings, db: Database):
    """An app with a pool wide enough that every claimer holds its own connection at once."""
    from relaydesk.app import create_app

    application = create_app(settings.model_copy(update={"db_pool_size": 30}))
    async with application.router.lifespan_context(application):
        yield application


async def test_fifty_concurrent_claims_have_exactly_one_winner(wide_app: FastAPI, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    seniors = [await make_user(db, account, name=f"Senior {n}", password=None) for n in range(50)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wide_app), base_url="http://t") as client:
        for _ in range(4):
            session = await make_session(db, jane)
            handoff = await escalate(db, jane, session)
            responses = await asyncio.gather(
                *[client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=s.headers) for s in seniors]
            )
            codes = sorted(r.status_code for r in responses)
            assert codes.count(200) == 1 and codes.count(409) == 49, codes
            winner = next(r for r in responses if r.status_code == 200).json()
            for loser in (r for r in responses if r.status_code == 409):
                assert loser.json()["claimed_by"] == winner["claimed_by_name"]
                assert loser.json()["claimed_by_id"] == str(winner["claimed_by_id"])
            detail = (await client.get(f"/api/v1/sessions/{session.id}", headers=jane.headers)).json()
            assert detail["assignee_id"] == str(winner["claimed_by_id"])
            claimed_events = [
                e
                for e in (
                    await client.get(f"/api/v1/sessions/{session.id}/events", headers=jane.headers)
                ).json()
                if e["type"] == "handoff.claimed"
            ]
            assert len(claimed_events) == 1


async def test_unknown_handoff(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, _, _, _, _ = await _team(db)
    assert (
        await client.post(f"/api/v1/handoffs/{uuid.uuid4()}/claim", headers=jane.headers)
    ).status_code == 404
