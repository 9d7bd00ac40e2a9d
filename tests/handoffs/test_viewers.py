"""Viewers view: the queue, the sessions and the pickup screens read in full, with no action in the
pages, and the same in the API — reads answer, every write is a 403 saying why (handoffs/policy.py)."""

from __future__ import annotations

import httpx
import psycopg

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from tests.factories import escalate, make_session, make_step
from tests.handoffs.conftest import SignIn
from tests.handoffs.test_pages import _team, page

REFUSAL = "A viewer can read escalations and sessions but cannot"


def _actions(html: str) -> list[str]:
    """Every way to change something on a page: post forms other than sign-out, reveal buttons,
    links to a new session."""
    doc = page(html)
    forms = [
        f.attrs.get("action", "")
        for f in doc.find(tag="form")
        if f.attrs.get("method") == "post" and f.attrs.get("action") != "/logout"
    ]
    reveals = ["reveal" for b in doc.find(tag="button") if "reveal" in b.attrs.get("class", "").split()]
    new = [a.attrs["href"] for a in doc.find(tag="a") if a.attrs.get("href") == "/sessions/new"]
    return forms + reveals + new


async def test_a_viewer_reads_the_queue_and_pickup_screens_without_buttons(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    waiting = await make_session(db, team.jane, problem="Outlook is failing to sync email", priority="high")
    await make_step(db, team.jane, waiting, action="Typed [[secret:hunter2]] into the prompt")
    open_handoff = await escalate(db, team.jane, waiting)
    taken = await make_session(db, team.jane, problem="VPN drops every 10 minutes", priority="urgent")
    taken_handoff = await escalate(db, team.jane, taken)
    to_kim = await make_session(db, team.jane, problem="Printer offline", priority="low")
    await escalate(db, team.jane, to_kim, target=team.kim.user.id)
    async with db.uow(team.account.id) as uow:
        await handoffs.claim(uow, team.sam.actor, taken_handoff.id)
    viewer = await sign_in(team.viewer)

    response = await viewer.get("/queue")
    assert response.status_code == 200, response.text
    doc = page(response.text)
    rows = doc.one(id="queue").find(cls="queue-item")
    # every escalation waiting for the team, a targeted one too, by priority
    assert [r.one(cls="problem").text for r in rows] == [
        "Outlook is failing to sync email",
        "Printer offline",
    ]
    assert _actions(response.text) == []
    assert doc.find(cls="queue-views") == []  # nothing of their own to switch to
    assert "Viewers read them; engineers pick them up" in doc.one(cls="lede").text

    for session in (waiting, taken):
        pickup = await viewer.get(f"/sessions/{session.id}/pickup")
        assert pickup.status_code == 200, pickup.text
        assert _actions(pickup.text) == [] and page(pickup.text).find(cls="choices") == []
        assert "hunter2" not in pickup.text
    assert (
        "Viewers can read escalations but not pick them up"
        in (await viewer.get(f"/sessions/{waiting.id}/pickup")).text
    )
    assert (
        "Picked up by Sam Lee"
        in page((await viewer.get(f"/sessions/{taken.id}/pickup")).text).one(id="handoff-status").text
    )

    sessions = await viewer.get("/sessions")
    assert sessions.status_code == 200 and _actions(sessions.text) == []
    workspace = await viewer.get(f"/sessions/{waiting.id}")
    assert workspace.status_code == 200 and _actions(workspace.text) == []

    # the page's writes refuse with the same reason
    refused = await viewer.post(f"/handoffs/{open_handoff.id}/claim", {"start": "continue"})
    assert refused.status_code == 403 and f"{REFUSAL} pick up escalations" in refused.text
    assert admin_conn.execute("SELECT status FROM handoffs WHERE id = %s", (open_handoff.id,)).fetchone() == (
        "open",
    )


async def test_the_api_reads_the_same_and_refuses_every_write(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    step = await make_step(db, team.jane, session, action="Typed [[secret:hunter2]] into the prompt")
    handoff = await escalate(db, team.jane, session)
    claimed_session = await make_session(db, team.jane, problem="VPN drops")
    claimed = await escalate(db, team.jane, claimed_session)
    async with db.uow(team.account.id) as uow:
        await handoffs.claim(uow, team.sam.actor, claimed.id)
    headers = team.viewer.headers

    # reads: the queue (escalation rows, as the page shows them), the handoff, the session, its events
    listed = (await client.get("/api/v1/handoffs", headers=headers)).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [i["id"] for i in items] == [str(handoff.id)]
    for url in (
        f"/api/v1/handoffs/{handoff.id}",
        f"/api/v1/handoffs/{claimed.id}",
        f"/api/v1/sessions/{session.id}",
        f"/api/v1/sessions/{session.id}/events",
    ):
        assert (await client.get(url, headers=headers)).status_code == 200, url

    writes = [
        ("/api/v1/sessions", {"problem_summary": "x"}, "open troubleshooting sessions"),
        (f"/api/v1/sessions/{session.id}/steps", {"action": "x"}, "add steps"),
        (
            f"/api/v1/sessions/{claimed_session.id}/resolve",
            {"resolution": "Rebuilt it"},
            "resolve the session",
        ),
        (
            f"/api/v1/sessions/{claimed_session.id}/handoffs",
            {"intent": "escalate", "reason": "x"},
            "hand off",
        ),
        (f"/api/v1/sessions/{session.id}/resume", None, "resume sessions"),
        (f"/api/v1/handoffs/{handoff.id}/claim", None, "pick up escalations"),
        (f"/api/v1/handoffs/{handoff.id}/withdraw", None, "withdraw escalations"),
        (f"/api/v1/handoffs/{claimed.id}/release", {"reason": "Not mine"}, "release escalations"),
        (
            f"/api/v1/sessions/{session.id}/steps/{step.id}/reveal",
            {"field": "action", "index": 0},
            "reveal secrets",
        ),
    ]
    for url, body, doing in writes:
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code == 403, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert f"{REFUSAL} {doing}" in response.json()["detail"], url

    # nothing changed
    rows = admin_conn.execute("SELECT id, status FROM handoffs ORDER BY created_at").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(handoff.id, "open"), (claimed.id, "claimed")]
    assert admin_conn.execute("SELECT count(*) FROM steps").fetchone() == (1,)
