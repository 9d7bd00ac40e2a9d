"""The snapshot has one model that writes and reads it; rows written in older shapes still load."""

from __future__ import annotations

import json

import psycopg

from relaydesk.db.uow import Database
from relaydesk.handoffs.snapshot import HandoffSnapshot
from tests.factories import escalate, make_account, make_session, make_step, make_user
from tests.handoffs.conftest import SignIn

# as early rows have it: no ids, no authors' ids, times as text, an outcome since renamed, a step
# that is not an object, no session_id and no taken_at
OLD_SHAPE = {
    "problem_summary": "Scanner on the 2nd floor will not email",
    "priority": "high",
    "client_name": "Contoso",
    "steps": [
        {"action": "Power-cycled the scanner", "result": "No change", "outcome": "failed"},
        {"action": "Checked the SMTP relay", "outcome": "unknown", "at": "2026-01-05T09:30:00+00:00"},
        "a stray string",
        {"action": "Left a note for the client", "is_note": True, "author": "Jane Doe"},
    ],
}


def test_what_is_written_reads_back_the_same(admin_conn: psycopg.Connection) -> None:
    snap = HandoffSnapshot.read(OLD_SHAPE)
    assert [s.kind for s in snap.steps] == ["failed", "info", "note"]
    assert snap.steps[1].at is not None and snap.steps[1].at.year == 2026
    assert HandoffSnapshot.read(snap.stored()) == snap
    assert HandoffSnapshot.read(None) == HandoffSnapshot() and HandoffSnapshot.read([1]).steps == []


async def test_an_old_row_still_shows_its_story(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    sam = await make_user(db, account, name="Sam Lee")
    session = await make_session(db, jane)
    await make_step(db, jane, session)
    handoff = await escalate(db, jane, session, reason="Out of ideas")
    stored = admin_conn.execute("SELECT snapshot FROM handoffs WHERE id = %s", (handoff.id,)).fetchone()
    assert stored is not None and HandoffSnapshot.read(stored[0]).steps[0].action == "Restarted Outlook"

    admin_conn.execute(
        "UPDATE handoffs SET snapshot = %s::jsonb WHERE id = %s", (json.dumps(OLD_SHAPE), handoff.id)
    )
    signed = await sign_in(sam)
    pickup = await signed.get(f"/sessions/{session.id}/pickup")
    assert pickup.status_code == 200, pickup.text
    for text in ("Scanner on the 2nd floor will not email", "Power-cycled the scanner", "Out of ideas"):
        assert text in pickup.text
    assert "3 steps · 1 failed · 1 note" in pickup.text
    queue = await signed.get("/queue")
    assert queue.status_code == 200
