"""Working a handoff together over the JSON API: comments and mentions, findings while waiting, and
correcting a step (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from sqlalchemy import select, update

from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.sessions.models import Step
from relaydesk.settings import Settings
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.models import SummaryJob
from tests.factories import escalate, make_account, make_session, make_step, make_user


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """With an SMTP server set, so mentions make their email rows (nothing is sent: no worker)."""
    return settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:2525?starttls=0"})


async def _team(db: Database):
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    sam = await make_user(db, account, name="Sam Lee")
    kim = await make_user(db, account, name="Kim Park")
    viewer = await make_user(db, account, role="viewer", name="Val Viewer")
    return account, jane, sam, kim, viewer


async def test_comments_mentions_and_paging(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    _, jane, sam, kim, viewer = await _team(db)
    olga = await make_user(db, _, role="admin", name="Olga Admin")
    admin_conn.execute("UPDATE users SET email_notifications = false WHERE id = %s", (olga.user.id,))
    session = await make_session(db, jane)
    step = await make_step(db, jane, session, action="Rebuilt the profile")
    handoff = await escalate(db, jane, session)
    url = f"/api/v1/sessions/{session.id}/comments"

    said = await client.post(
        url,
        headers=jane.headers,
        json={"body": "@SamLee the user says it began after the Windows update; pw hunter2 is hers"},
    )
    assert said.status_code == 201, said.text
    body = said.json()
    assert body["author"] == {"id": str(jane.user.id), "name": "Jane Doe"}
    assert (
        body["created_at"]
        and body["id"]
        and body["mentioned"] == [{"id": str(sam.user.id), "name": "Sam Lee"}]
    )
    # @Kim: the only Kim of the account; a reply to a step
    reply = await client.post(
        url, headers=sam.headers, json={"body": "@kim have a look, @OlgaAdmin too", "step_id": str(step.id)}
    )
    assert reply.status_code == 201
    assert [m["name"] for m in reply.json()["mentioned"]] == ["Kim Park", "Olga Admin"]

    # the bell of whoever is mentioned, never the author's
    sam_bell = (await client.get("/api/v1/notifications", headers=sam.headers)).json()
    mention = [i for i in sam_bell["items"] if i["kind"] == "mention"]
    assert len(mention) == 1 and mention[0]["title"].startswith("Jane Doe mentioned you:")
    assert mention[0]["link"] == f"/sessions/{session.id}/pickup#comments"
    jane_bell = (await client.get("/api/v1/notifications", headers=jane.headers)).json()
    assert not [i for i in jane_bell["items"] if i["kind"] == "mention"]
    # an email for Sam and Kim (email notifications on), not Olga (off); the comment redacted
    rows = admin_conn.execute(
        "SELECT target, payload FROM deliveries WHERE event = 'mention' AND session_id = %s", (session.id,)
    ).fetchall()
    assert {r[0] for r in rows} == {sam.user.email, kim.user.email}
    assert all("hunter2" not in str(r[1]) for r in rows)
    # the event carries no text, and reaches the session's readers
    events = (await client.get(f"/api/v1/sessions/{session.id}/events", headers=jane.headers)).json()
    created = [e for e in events if e["type"] == "comment.created"]
    assert len(created) == 2 and "body" not in created[0]["payload"]

    # a viewer reads the session (handoffs/policy.py reads_account) but cannot comment
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    assert (await client.post(url, headers=viewer.headers, json={"body": "hi"})).status_code == 403
    # bad input is a clear 422
    empty = await client.post(url, headers=jane.headers, json={"body": "   "})
    assert empty.status_code == 422 and "cannot be empty" in empty.text
    assert (await client.post(url, headers=jane.headers, json={"body": "x" * 4001})).status_code == 422
    assert (
        await client.post(url, headers=jane.headers, json={"body": "x", "step_id": str(handoff.id)})
    ).status_code == 422

    # keyset paging: items + next_cursor
    for n in range(3):
        await client.post(url, headers=kim.headers, json={"body": f"note {n}"})
    first = (await client.get(url + "?limit=2", headers=jane.headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (await client.get(url + f"?limit=200&cursor={first['next_cursor']}", headers=jane.headers)).json()
    assert [c["body"] for c in rest["items"]] == ["note 0", "note 1", "note 2"] and rest[
        "next_cursor"
    ] is None
    assert (await client.get(url + "?limit=201", headers=jane.headers)).status_code == 422
    assert (await client.get(url + "?cursor=nonsense", headers=jane.headers)).status_code == 422

    # once claimed, Kim (a bystander) may no longer read it; the escalator still comments
    assert (await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=sam.headers)).status_code == 200
    assert (await client.post(url, headers=kim.headers, json={"body": "me too"})).status_code == 404
    assert (await client.post(url, headers=jane.headers, json={"body": "thanks Sam"})).status_code == 201
    # a mention of someone who may not read the session tells nobody
    told = await client.post(url, headers=sam.headers, json={"body": "@KimPark fyi"})
    assert told.json()["mentioned"] == []


async def test_findings_while_waiting(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, kim, _ = await _team(db)
    session = await make_session(db, jane)
    await make_step(db, jane, session)
    handoff = await escalate(db, jane, session)
    await SummaryQueue(config=None).run_once(db)  # the first (offline, final) summary

    steps = f"/api/v1/sessions/{session.id}/steps"
    finding = {"action": "The user says it started after the Windows update", "outcome": "info"}
    assert (await client.post(steps, headers=kim.headers, json=finding)).status_code == 403
    added = await client.post(steps, headers=jane.headers, json=finding)
    assert added.status_code == 201, added.text

    # the story of the pickup screen and the queue row's count follow
    detail = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=sam.headers)).json()
    assert [s["action"] for s in detail["snapshot"]["steps"]][-1] == finding["action"]
    assert detail["snapshot"]["steps"][-1]["added_after_escalation"] is True
    queue = (await client.get("/api/v1/handoffs", headers=sam.headers)).json()
    assert queue[0]["step_count"] == 2
    events = (await client.get(f"/api/v1/sessions/{session.id}/events", headers=sam.headers)).json()
    assert [e["payload"]["step_count"] for e in events if e["type"] == "step.added"][-1] == 2

    # the summary goes back to pending behind the quiet period, once however many findings
    assert detail["summary_state"] == "pending"
    await client.post(
        steps, headers=jane.headers, json={"action": "It also fails on OWA", "outcome": "failed"}
    )
    async with db.uow(jane.actor.account_id) as uow:
        job = await uow.get(SummaryJob, handoff.id)
        assert job is not None and job.lease_until is not None
        await uow.result(update(SummaryJob).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert await SummaryQueue(config=None).run_once(db)
    assert not await SummaryQueue(config=None).run_once(db)  # one refresh for the burst
    after = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=sam.headers)).json()
    assert after["summary_state"] == "ready"
    assert "OWA" in str(after["summary"]) or "Windows update" in str(after["summary"])

    # after the claim, the escalator still adds findings, but cannot park, withdraw or resolve
    assert (await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=sam.headers)).status_code == 200
    assert (await client.post(steps, headers=jane.headers, json=finding)).status_code == 201
    park = await client.post(
        f"/api/v1/sessions/{session.id}/handoffs", headers=jane.headers, json={"intent": "park"}
    )
    assert park.status_code == 403 and "theirs now" in park.json()["detail"]
    resolve = await client.post(
        f"/api/v1/sessions/{session.id}/resolve", headers=jane.headers, json={"resolution": "x"}
    )
    assert resolve.status_code == 403
    assert (
        await client.post(f"/api/v1/handoffs/{handoff.id}/withdraw", headers=jane.headers)
    ).status_code == 409


async def test_correcting_a_step(client: httpx.AsyncClient, db: Database) -> None:
    _, jane, sam, _, _ = await _team(db)
    session = await make_session(db, jane)
    step = await make_step(db, jane, session, action="Rebooted the laptop", result="Same error 0x80")
    other = await make_step(db, jane, session, action="Cleared the cache")
    handoff = await escalate(db, jane, session)
    url = f"/api/v1/sessions/{session.id}/steps/{step.id}"

    assert (await client.patch(url, headers=sam.headers, json={"result": "x"})).status_code in (403, 404)
    edited = await client.patch(url, headers=jane.headers, json={"result": "Same error 0x800CCC0E"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["result"] == "Same error 0x800CCC0E" and edited.json()["edited_at"]
    # the story shows the corrected text; the audit trail has who, when, before and after
    detail = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=sam.headers)).json()
    assert detail["snapshot"]["steps"][0]["result"] == "Same error 0x800CCC0E"
    events = (await client.get(f"/api/v1/sessions/{session.id}/events", headers=sam.headers)).json()
    change = next(e for e in events if e["type"] == "step.edited")
    assert change["actor_id"] == str(jane.user.id) and change["created_at"]
    assert change["payload"]["before"]["result"] == "Same error 0x80"
    assert change["payload"]["after"]["result"] == "Same error 0x800CCC0E"
    assert (await client.patch(url, headers=jane.headers, json={"bogus": 1})).status_code == 422

    # a replied-to step is edited, not deleted
    await client.post(
        f"/api/v1/sessions/{session.id}/comments",
        headers=sam.headers,
        json={"body": "Which build?", "step_id": str(step.id)},
    )
    refused = await client.delete(url, headers=jane.headers)
    assert refused.status_code == 409 and "edited but not deleted" in refused.json()["detail"]
    gone = await client.delete(f"/api/v1/sessions/{session.id}/steps/{other.id}", headers=jane.headers)
    assert gone.status_code == 204
    detail = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=sam.headers)).json()
    assert [s["action"] for s in detail["snapshot"]["steps"]] == ["Rebooted the laptop"]
    events = (await client.get(f"/api/v1/sessions/{session.id}/events", headers=jane.headers)).json()
    deleted = next(e for e in events if e["type"] == "step.deleted")
    assert deleted["payload"]["before"]["action"] == "Cleared the cache"

    # past the window: refused, with the reason
    async with db.uow(jane.actor.account_id) as uow:
        await uow.result(
            update(Step)
            .where(Step.id == step.id)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=16))
        )
    late = await client.patch(url, headers=jane.headers, json={"result": "again"})
    assert late.status_code == 409 and "15 minutes" in late.json()["detail"]
    async with db.uow(jane.actor.account_id) as uow:
        assert (await uow.scalar(select(Handoff.status).where(Handoff.id == handoff.id))) == "open"
