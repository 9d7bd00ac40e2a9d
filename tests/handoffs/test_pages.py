"""Handoff screens over HTTP with signed-in cookie clients: escalate, queue, bell, pickup, claim."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.errors import BadInput
from relaydesk.notifications import service as notifications_service
from relaydesk.sessions.models import Session
from tests.factories import Member, escalate, make_account, make_session, make_step, make_user
from tests.handoffs.conftest import SignIn

# --- a small HTML reader (stdlib only) ----------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else f" {child.text} ")
        return " ".join("".join(parts).split())

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            if isinstance(child, Node):
                found.extend(child.walk())
        return found

    def find(self, *, id: str | None = None, cls: str | None = None, tag: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (id is None or n.attrs.get("id") == id)
            and (cls is None or cls in n.attrs.get("class", "").split())
            and (tag is None or n.tag == tag)
        ]

    def one(self, **kwargs: Any) -> Node:
        found = self.find(**kwargs)
        assert len(found) == 1, (kwargs, len(found))
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def page(html: str) -> Node:
    reader = _Reader()
    reader.feed(html)
    return reader.root


# --- data -------------------------------------------------------------------------------------


@dataclass
class Team:
    account: Account
    jane: Member  # the junior who escalates
    sam: Member
    kim: Member
    viewer: Member
    owner: Member


async def _team(db: Database) -> Team:
    account = await make_account(db)
    return Team(
        account=account,
        jane=await make_user(db, account, name="Jane Doe"),
        sam=await make_user(db, account, name="Sam Lee"),
        kim=await make_user(db, account, name="Kim Park"),
        viewer=await make_user(db, account, role="viewer", name="Val Viewer"),
        owner=await make_user(db, account, role="owner", name="Olga Owner"),
    )


STEPS = [
    ("Recreated the Outlook profile", "Same error 0x800CCC0E", "failed"),
    ("Checked the mailbox in OWA", "Mail arrives in OWA", "partial"),
    ("User says it started after the password change", None, "info"),
    ("Cleared Credential Manager entries", "Still prompts", "failed"),
]


async def _escalated(
    db: Database,
    member: Member,
    *,
    priority: str = "urgent",
    problem: str = "Outlook is failing to sync email",
) -> tuple[Session, uuid.UUID]:
    session = await make_session(db, member, problem=problem, priority=priority, client="Harbor Dental")
    for action, result, outcome in STEPS:
        await make_step(db, member, session, action=action, result=result, outcome=outcome)
    handoff = await escalate(
        db, member, session, reason="Out of ideas after the profile rebuild", notes="VIP"
    )
    return session, handoff.id


def _rows(conn: psycopg.Connection, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, args).fetchall()


# --- the queue and the header ------------------------------------------------------------------


async def test_queue_lists_others_escalations_most_urgent_first(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    s1, h1 = await _escalated(db, team.jane, priority="urgent")
    _, h2 = await _escalated(db, team.sam, priority="low", problem="Printer offline on floor 2")
    _, h3 = await _escalated(db, team.jane, priority="high", problem="VPN drops every 10 minutes")

    sam = await sign_in(team.sam)
    response = await sam.get("/queue")
    assert response.status_code == 200, response.text
    doc = page(response.text)
    queue = doc.one(tag="ul", id="queue")
    assert queue.attrs["aria-live"] == "polite"
    rows = queue.find(cls="queue-item")
    # not his own; the urgent one above the high one (triage order, tests/handoffs/test_queue.py)
    assert [r.attrs["data-handoff-id"] for r in rows] == [str(h1), str(h3)]
    first = rows[0].text
    for expected in ("Outlook is failing to sync email", "Harbor Dental", "#12345", "urgent", "by Jane Doe"):
        assert expected in first, (expected, first)
    assert "4 steps" in first and "assessment being prepared" in first and "waiting 0:0" in first
    assert "high" in rows[1].text  # priority in words, not colour alone
    assert rows[0].find(tag="a")[0].attrs["href"] == f"/sessions/{s1.id}/pickup"
    assert doc.one(id="queue-empty").attrs.get("hidden") is not None
    assert doc.one(id="queue-count").text == "2"
    assert doc.one(id="bell-count").text == "2"

    jane = await sign_in(team.jane)
    rows = page((await jane.get("/queue")).text).find(cls="queue-item")
    assert [r.attrs["data-handoff-id"] for r in rows] == [str(h2)]

    # a viewer reads the queue (tests/handoffs/test_viewers.py), but has nothing to take
    viewer = await sign_in(team.viewer)
    assert (await viewer.get("/queue")).status_code == 200
    assert "queue-count" not in (await viewer.get("/sessions")).text


async def test_queue_empty_state(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    doc = page((await (await sign_in(team.sam)).get("/queue")).text)
    assert doc.one(tag="ul", id="queue").find(cls="queue-item") == []
    assert "hidden" not in doc.one(id="queue-empty").attrs
    assert doc.one(id="queue-count").text == "0" and doc.one(id="bell-count").text == "0"


async def test_header_counts_cost_one_query(app: FastAPI, db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    await _escalated(db, team.jane)
    sam = await sign_in(team.sam)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = await sam.get("/sessions")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page(response.text).one(id="queue-count").text == "1"
    counting = [s for s in statements if "FROM notifications" in s]
    assert len(counting) == 1 and "handoffs" in counting[0], counting


# --- the pickup screen -------------------------------------------------------------------------


async def test_pickup_screen_tells_the_whole_story(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    sam = await sign_in(team.sam)
    response = await sam.get(f"/sessions/{session.id}/pickup")
    assert response.status_code == 200, response.text
    doc = page(response.text)

    problem = doc.one(id="problem").text
    for expected in ("Outlook is failing to sync email", "Harbor Dental", "#12345", "urgent", "Jane Doe"):
        assert expected in problem, expected
    assert doc.one(id="handoff-reason").text == "Out of ideas after the profile rebuild"
    assert "VIP" in doc.one(cls="handoff-notes").text

    steps = doc.one(id="tried-steps").find(tag="li")
    assert [s.one(cls="action").text for s in steps] == [a for a, _, _ in STEPS]
    assert [s.one(cls="outcome").text.split()[-1] for s in steps] == ["failed", "partial", "note", "failed"]
    assert "failed" in steps[0].attrs["class"] and "note" in steps[2].attrs["class"]
    assert "4 steps · 2 failed · 1 note" in doc.one(id="tried-h").text

    assessment = doc.one(id="assessment")
    assert (
        assessment.attrs["data-handoff-id"] == str(handoff_id) and assessment.attrs["data-state"] == "pending"
    )
    assert "being prepared" in assessment.text and "Likely cause" not in assessment.text

    form = doc.one(cls="choices")
    assert form.attrs["action"] == f"/handoffs/{handoff_id}/claim"
    buttons = form.find(tag="button")
    assert [b.text for b in buttons] == [
        "Continue where they left off",
        "Get an AI briefing",
        "I'll take it from here",
    ]
    assert "data-initial-focus" in buttons[0].attrs  # focus lands on the primary choice

    # the escalator sees it read-only, waiting for a teammate
    jane = await sign_in(team.jane)
    mine = page((await jane.get(f"/sessions/{session.id}/pickup")).text)
    assert mine.find(cls="choices") == []
    assert "Waiting in the queue" in mine.one(id="handoff-status").text


async def test_assessment_renders_the_summary_defensively(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    similar_id = uuid.uuid4()
    # A row in the shape of an earlier version: `summary_prose`, no times, no score on the similar
    # session, and some items that do not read. What reads is shown; the rest is left out.
    summary = {
        "summary_prose": "Outlook fails to sync since the password change.",
        "what_we_know": ["OWA works", 42],
        "likely_cause": "Stale cached credentials after the password change.",
        "suggested_steps": ["Reset the Outlook credentials", "Check modern auth"],
        "confidence": "medium",
        "similar_sessions": [
            {"id": str(similar_id), "problem": "Outlook prompts after reset", "resolution": "Cleared creds"},
            {"id": "not-a-uuid", "problem": "Odd one", "resolution": None},
            "garbage",
        ],
        "engine": "offline",
        "fallback_reason": "model timed out after 20 s",
        "state": "ready",
    }
    admin_conn.execute(
        "UPDATE handoffs SET summary = %s::jsonb, summary_state = 'ready' WHERE id = %s",
        (psycopg.types.json.Json(summary), handoff_id),
    )
    sam = await sign_in(team.sam)
    doc = page((await sam.get(f"/sessions/{session.id}/pickup")).text)
    text = doc.one(id="assessment").text
    for expected in (
        "Stale cached credentials",
        "Reset the Outlook credentials",
        "medium",
        "OWA works",
        "Outlook prompts after reset",
        "Cleared creds",
        "Offline engine",
        "model timed out",
    ):
        assert expected in text, expected
    assert "being prepared" not in text and "42" not in text
    assert "Odd one" not in text  # its id is not an id: the item does not read
    assert doc.one(id="assessment").attrs["data-state"] == "ready"
    assert any(
        a.attrs.get("href") == f"/sessions/{similar_id}" for a in doc.one(id="assessment").find(tag="a")
    )

    # "Get an AI briefing": the workspace opens with the summary as a briefing panel
    claimed = await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "briefing"})
    assert claimed.status_code == 303 and claimed.headers["location"].endswith("?briefing=1#briefing")
    briefing = page((await sam.get(f"/sessions/{session.id}?briefing=1")).text).one(id="briefing")
    assert "Stale cached credentials" in briefing.text
    assert "Outlook fails to sync since the password change." in briefing.text  # the old ticket note

    # a summary of the wrong shape renders as "none made", never a 500
    wrong = {"likely_cause": 5, "suggested_steps": "check DNS", "confidence": "certain", "what_we_know": {}}
    admin_conn.execute(
        "UPDATE handoffs SET summary = %s::jsonb WHERE id = %s", (psycopg.types.json.Json(wrong), handoff_id)
    )
    response = await sam.get(f"/sessions/{session.id}?briefing=1")
    assert response.status_code == 200
    assert "No briefing yet" in page(response.text).one(id="briefing").text


async def test_briefing_without_a_summary_says_so(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    sam = await sign_in(team.sam)
    await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "briefing"})
    briefing = page((await sam.get(f"/sessions/{session.id}?briefing=1")).text).one(id="briefing")
    assert "No briefing yet" in briefing.text and "being prepared" in briefing.text


# --- the claim ---------------------------------------------------------------------------------


async def test_claim_by_form_lands_in_the_workspace_and_assigns(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    sam = await sign_in(team.sam)
    response = await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/sessions/{session.id}"
    assert _rows(admin_conn, "SELECT status, assignee_id FROM sessions WHERE id = %s", session.id) == [
        ("active", team.sam.user.id)
    ]
    assert _rows(admin_conn, "SELECT status, claimed_by_id FROM handoffs WHERE id = %s", handoff_id) == [
        ("claimed", team.sam.user.id)
    ]

    workspace = page((await sam.get(f"/sessions/{session.id}")).text)
    assert "Picked up by you" in workspace.one(id="handoff-status").text
    assert workspace.one(id="add-step")  # he can work it now
    context = workspace.one(id="context-dialog")  # the Context button reopens the pickup content
    assert "Out of ideas after the profile rebuild" in context.text
    assert len(context.one(id="ctx-tried").find(tag="li")) == len(STEPS)
    assert (await sam.get(f"/sessions/{session.id}/pickup?context=1")).status_code == 200

    # the escalator keeps reading it and sees who took it, and when
    jane = await sign_in(team.jane)
    status = page((await jane.get(f"/sessions/{session.id}")).text).one(id="handoff-status")
    assert status.attrs["data-handoff-id"] == str(handoff_id) and status.attrs["data-status"] == "claimed"
    assert "Picked up by Sam Lee" in status.text and "UTC" in status.text
    pickup = page((await jane.get(f"/sessions/{session.id}/pickup")).text)
    assert pickup.find(cls="choices") == [] and "Picked up by Sam Lee" in pickup.one(id="handoff-status").text


async def test_start_choices_land_where_they_say(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    sam = await sign_in(team.sam)
    for start, suffix in (("own", "#add-step"), ("briefing", "?briefing=1#briefing"), ("nonsense", "")):
        session, handoff_id = await _escalated(db, team.jane)
        response = await sam.post(f"/handoffs/{handoff_id}/claim", {"start": start})
        assert response.status_code == 303
        assert response.headers["location"] == f"/sessions/{session.id}{suffix}"


async def test_second_claimer_is_told_who_took_it(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    sam, kim, owner = await sign_in(team.sam), await sign_in(team.kim), await sign_in(team.owner)
    assert (await kim.get(f"/sessions/{session.id}/pickup")).status_code == 200  # opened before the claim
    assert (await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})).status_code == 303

    lost = await kim.post(f"/handoffs/{handoff_id}/claim", {"start": "own"})
    assert lost.status_code == 409
    banner = page(lost.text).one(id="taken-banner")
    assert "Taken by Sam Lee" in banner.text and "UTC" in banner.text
    assert "data-initial-focus" in banner.attrs
    assert page(lost.text).find(cls="choices") == []

    # an owner may still read it: the banner and the story, no choices
    lost = await owner.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    doc = page(lost.text)
    assert lost.status_code == 409 and "Taken by Sam Lee" in doc.one(id="taken-banner").text
    assert doc.one(id="tried-steps") and doc.find(cls="choices") == []


async def test_viewer_and_escalator_cannot_claim(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    _, handoff_id = await _escalated(db, team.jane)
    viewer, jane = await sign_in(team.viewer), await sign_in(team.jane)
    refused = await viewer.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert "A viewer can read escalations and sessions but cannot pick up escalations" in refused.text
    refused = await jane.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    assert refused.status_code == 403 and "a teammate has to pick it up" in refused.text
    assert _rows(admin_conn, "SELECT status FROM handoffs WHERE id = %s", handoff_id) == [("open",)]


async def test_another_accounts_pickup_is_404(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    stranger = await sign_in(await make_user(db, await make_account(db), name="Stranger"))
    response = await stranger.get(f"/sessions/{session.id}/pickup")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "Outlook" not in response.text
    assert (await stranger.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})).status_code == 404
    assert (await stranger.post(f"/handoffs/{handoff_id}/withdraw")).status_code == 404
    assert (await stranger.get(f"/sessions/{session.id}?briefing=1")).status_code == 404


async def test_bystander_and_viewer_after_the_claim(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    session, handoff_id = await _escalated(db, team.jane)
    sam, kim = await sign_in(team.sam), await sign_in(team.kim)
    await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    assert (await kim.get(f"/sessions/{session.id}/pickup")).status_code == 404
    # a viewer reads every escalation of the account, claimed or not (handoffs/policy.py)
    assert (await (await sign_in(team.viewer)).get(f"/sessions/{session.id}/pickup")).status_code == 200


# --- escalate, park, resume, withdraw from the workspace ----------------------------------------


async def test_escalate_form_success(db: Database, sign_in: SignIn, admin_conn: psycopg.Connection) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    await make_step(db, team.jane, session)
    jane = await sign_in(team.jane)

    workspace = page((await jane.get(f"/sessions/{session.id}")).text)
    form = workspace.one(id="escalate-form")
    names = [o.text for o in form.find(tag="option")]
    assert names == ["The whole team", "Kim Park (engineer)", "Olga Owner (owner)", "Sam Lee (engineer)"]
    assert "required" in form.one(tag="input", id="escalate-reason").attrs

    response = await jane.post(
        f"/sessions/{session.id}/escalate",
        {
            "reason": "Stuck on the token cache",
            "notes": "Call before 5",
            "target_user_id": str(team.kim.user.id),
        },
    )
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/sessions" and parse_qs(location.query)["notice"] == ["escalated-to-teammate"]
    landed = page((await jane.get(response.headers["location"])).text)
    assert "Escalated to your teammate" in landed.one(cls="flash").text
    forged = page((await jane.get("/sessions?notice=Call+this+number+now")).text)
    assert not forged.find(cls="flash")
    rows = _rows(admin_conn, "SELECT status, reason, notes, target_user_id FROM handoffs")
    assert rows == [("open", "Stuck on the token cache", "Call before 5", team.kim.user.id)]

    # while it waits: the status, and Withdraw for the junior
    workspace = page((await jane.get(f"/sessions/{session.id}")).text)
    assert "Waiting in the queue for Kim Park" in workspace.one(id="handoff-status").text
    withdraw = [f for f in workspace.find(tag="form") if f.attrs.get("action", "").endswith("/withdraw")]
    assert len(withdraw) == 1 and workspace.find(id="escalate-form") == []
    response = await jane.post(withdraw[0].attrs["action"])
    assert response.status_code == 303
    assert _rows(admin_conn, "SELECT status FROM sessions") == [("active",)]
    assert _rows(admin_conn, "SELECT status FROM handoffs") == [("withdrawn",)]


async def test_escalate_form_refuses_bad_input_and_writes_nothing(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    jane = await sign_in(team.jane)
    cases = [
        ({"reason": "   ", "notes": "n"}, 422, "A reason is required to escalate"),
        ({"reason": "x", "target_user_id": str(team.viewer.user.id)}, 422, "is a viewer"),
        ({"reason": "x", "target_user_id": str(team.jane.user.id)}, 422, "to yourself"),
        ({"reason": "x", "target_user_id": "nope"}, 422, "Teammate:"),
    ]
    for data, status, needle in cases:
        response = await jane.post(f"/sessions/{session.id}/escalate", data)
        assert response.status_code == status, (data, response.text[:300])
        doc = page(response.text)
        error = doc.one(id="escalate-error")
        assert needle in error.text, (needle, error.text)
        assert "open" in doc.one(id="escalate").attrs  # the form stays open with the message
        assert doc.one(id="escalate-reason").attrs["value"] == data["reason"]
    assert _rows(admin_conn, "SELECT count(*) FROM handoffs") == [(0,)]
    assert _rows(admin_conn, "SELECT count(*) FROM notifications") == [(0,)]
    assert _rows(admin_conn, "SELECT count(*) FROM events") == [(0,)]
    assert _rows(admin_conn, "SELECT status FROM sessions") == [("active",)]


async def test_escalate_form_refused_midway_leaves_nothing(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal after the handoff, its event and the session change were flushed: all undone."""
    team = await _team(db)
    session = await make_session(db, team.jane)
    jane = await sign_in(team.jane)

    async def refuse(*_: Any, **__: Any) -> None:
        raise BadInput("Injected: the bell refused.")

    monkeypatch.setattr(notifications_service, "notify", refuse)
    response = await jane.post(f"/sessions/{session.id}/escalate", {"reason": "stuck", "notes": "n"})
    assert response.status_code == 422
    assert "Injected: the bell refused." in page(response.text).one(id="escalate-error").text
    assert _rows(admin_conn, "SELECT count(*) FROM handoffs") == [(0,)]
    assert _rows(admin_conn, "SELECT count(*) FROM events") == [(0,)]
    assert _rows(admin_conn, "SELECT status FROM sessions") == [("active",)]


async def test_escalating_twice_is_a_readable_conflict(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    jane = await sign_in(team.jane)
    assert (await jane.post(f"/sessions/{session.id}/escalate", {"reason": "stuck"})).status_code == 303
    again = await jane.post(f"/sessions/{session.id}/escalate", {"reason": "stuck"})  # a second click
    assert again.status_code == 409
    doc = page(again.text)
    assert "this one is escalated" in doc.one(cls="flash").text
    assert "Waiting in the queue" in doc.one(id="handoff-status").text
    assert _rows(admin_conn, "SELECT count(*) FROM handoffs") == [(1,)]


async def test_forms_without_csrf_are_refused(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    _, handoff_id = await _escalated(db, team.kim)
    jane, sam = await sign_in(team.jane), await sign_in(team.sam)
    attempts = [
        (jane, f"/sessions/{session.id}/escalate", {"reason": "x"}),
        (jane, f"/sessions/{session.id}/park", {}),
        (sam, f"/handoffs/{handoff_id}/claim", {"start": "continue"}),
        (sam, "/notifications/read-all", {}),
    ]
    for who, url, data in attempts:
        refused = await who.post(url, data, csrf=False)
        assert refused.status_code == 403, url
        assert "expired" in refused.text
        forged = await who.http.post(url, data=data | {"csrf_token": "forged"})
        assert forged.status_code == 403, url
    assert _rows(admin_conn, "SELECT status FROM sessions ORDER BY created_at") == [
        ("active",),
        ("escalated",),
    ]
    assert _rows(admin_conn, "SELECT count(*), min(status) FROM handoffs") == [(1, "open")]
    assert _rows(admin_conn, "SELECT count(*) FROM notifications WHERE read_at IS NOT NULL") == [(0,)]


async def test_park_and_resume(db: Database, sign_in: SignIn, admin_conn: psycopg.Connection) -> None:
    team = await _team(db)
    session = await make_session(db, team.jane)
    jane = await sign_in(team.jane)
    parked = await jane.post(f"/sessions/{session.id}/park")
    assert parked.status_code == 303 and parked.headers["location"] == "/sessions?notice=parked"
    assert _rows(admin_conn, "SELECT status FROM sessions") == [("parked",)]
    assert _rows(admin_conn, "SELECT count(*) FROM notifications") == [(0,)]  # nobody is told

    workspace = page((await jane.get(f"/sessions/{session.id}")).text)
    actions = [f.attrs["action"] for f in workspace.find(tag="form")]
    assert f"/sessions/{session.id}/resume" in actions and workspace.find(id="escalate-form") == []
    resumed = await jane.post(f"/sessions/{session.id}/resume")
    assert resumed.status_code == 303 and resumed.headers["location"] == f"/sessions/{session.id}#add-step"
    assert _rows(admin_conn, "SELECT status FROM sessions") == [("active",)]
    # resuming what is not parked is a readable conflict page
    again = await jane.post(f"/sessions/{session.id}/resume")
    assert again.status_code == 409 and "Only a parked session can be resumed" in again.text


# --- the bell ----------------------------------------------------------------------------------


async def test_bell_page_lists_unread_first_and_marks_read(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    s1, _ = await _escalated(db, team.jane, problem="First problem")
    s2, _ = await _escalated(db, team.jane, problem="Second problem")
    s3, _ = await _escalated(db, team.kim, problem="Third problem")
    sam = await sign_in(team.sam)

    doc = page((await sam.get("/notifications")).text)
    items = doc.find(cls="notification")
    assert len(items) == 3 and all("unread" in i.attrs["class"] for i in items)
    links = [i.one(cls="title").attrs["href"] for i in items]
    assert links == [f"/sessions/{s.id}/pickup" for s in (s3, s2, s1)]  # newest first among unread
    assert "Escalation from Jane Doe · #12345: First problem" in items[2].text
    assert doc.one(id="bell-count").text == "3"

    oldest = items[2].attrs["data-notification-id"]
    assert (await sam.post(f"/notifications/{oldest}/read")).status_code == 303
    doc = page((await sam.get("/notifications")).text)
    items = doc.find(cls="notification")
    assert [i.attrs["data-notification-id"] for i in items][-1] == oldest  # read ones last
    assert "read" in items[-1].attrs["class"].split() and doc.one(id="bell-count").text == "2"

    assert (await sam.post("/notifications/read-all")).status_code == 303
    doc = page((await sam.get("/notifications")).text)
    assert doc.one(id="bell-count").text == "0"
    assert all("read" in i.attrs["class"].split() for i in doc.find(cls="notification"))

    # someone else's item is not mine to mark
    kim = await sign_in(team.kim)
    assert (await kim.post(f"/notifications/{oldest}/read")).status_code == 404


async def test_bell_items_say_when_taken(db: Database, sign_in: SignIn) -> None:
    team = await _team(db)
    _, handoff_id = await _escalated(db, team.jane)
    sam, kim = await sign_in(team.sam), await sign_in(team.kim)
    await sam.post(f"/handoffs/{handoff_id}/claim", {"start": "continue"})
    item = page((await kim.get("/notifications")).text).one(cls="notification")
    assert "state-taken" in item.attrs["class"] and "taken" in item.one(cls="pill").text
    jane_items = page((await (await sign_in(team.jane)).get("/notifications")).text).find(cls="notification")
    assert "Sam Lee picked up your escalation" in jane_items[0].text
