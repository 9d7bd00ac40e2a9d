"""Post/redirect/get: every successful form answers 303, so a reload never sends it again, and
every page it leads to carries the header's counts."""

from __future__ import annotations

import psycopg

from relaydesk.db.uow import Database
from tests.factories import escalate, make_account, make_session, make_user
from tests.handoffs.conftest import Signed, SignIn

COUNTS = 'id="queue-count" class="badge">'


async def test_every_successful_form_redirects_to_a_page_with_counts(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    jane = await sign_in(await make_user(db, account, name="Jane Doe"))
    sam = await sign_in(await make_user(db, account, name="Sam Lee"))

    async def redirects(who: Signed, url: str, data: dict[str, str] | None = None) -> str:
        response = await who.post(url, data or {})
        assert response.status_code == 303, (url, response.status_code, response.text[:300])
        shown = await who.get(response.headers["location"])
        assert shown.status_code == 200 and COUNTS in shown.text, url
        return str(response.headers["location"])

    created = await redirects(
        jane, "/sessions/new", {"problem_summary": "VPN drops every hour", "priority": "normal"}
    )
    session_id = created.rsplit("/", 1)[1]
    steps = f"/sessions/{session_id}/steps"
    await redirects(jane, steps, {"action": "Restarted the client", "result": "Same", "outcome": "failed"})
    await redirects(jane, f"/sessions/{session_id}/park", {"notes": "lunch"})
    await redirects(jane, f"/sessions/{session_id}/resume")
    await redirects(jane, f"/sessions/{session_id}/escalate", {"reason": "Out of ideas"})
    (handoff_id,) = admin_conn.execute(
        "SELECT id FROM handoffs WHERE session_id = %s AND intent = 'escalate'", (session_id,)
    ).fetchone()
    await redirects(sam, f"/handoffs/{handoff_id}/claim", {"start": "own"})
    await redirects(sam, steps, {"action": "Reinstalled the client", "result": "Holds", "outcome": "fixed"})
    await redirects(sam, f"/sessions/{session_id}/resolve", {"resolution": "New client build"})
    counts = admin_conn.execute("SELECT count(*) FROM steps WHERE session_id = %s", (session_id,)).fetchone()
    assert counts == (2,)

    other = await make_session(db, jane.member)
    handoff = await escalate(db, jane.member, other)
    await redirects(jane, f"/handoffs/{handoff.id}/withdraw")
