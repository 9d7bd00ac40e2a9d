"""Deliveries are read under their session's read rule: recipients tell about the session."""

from __future__ import annotations

import httpx
import psycopg

from relaydesk.db.uow import Database
from tests.deliveries.conftest import Team
from tests.factories import escalate, make_session


async def test_engineers_see_deliveries_only_of_sessions_they_may_read(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection, team: Team
) -> None:
    session = await make_session(db, team.jane, problem="Payroll laptop will not boot")
    await escalate(db, team.jane, session)
    waiting = await client.get("/api/v1/deliveries", headers=team.sam.headers)
    assert waiting.status_code == 200 and waiting.json(), "in the queue, every engineer may read it"

    # Taken off the queue (claimed by Jane herself here): now only Jane and the managers may read it.
    admin_conn.execute("UPDATE sessions SET status = 'active' WHERE id = %s", (session.id,))
    assert (await client.get("/api/v1/deliveries", headers=team.sam.headers)).json() == []
    hidden = await client.get(f"/api/v1/deliveries?session_id={session.id}", headers=team.sam.headers)
    assert hidden.status_code == 404
    one = waiting.json()[0]["id"]
    assert (await client.get(f"/api/v1/deliveries/{one}", headers=team.sam.headers)).status_code == 404
    section = await client.get(f"/sessions/{session.id}/deliveries", headers=team.sam.headers)
    assert section.status_code == 404

    assert (await client.get("/api/v1/deliveries", headers=team.jane.headers)).json()
    assert (await client.get("/api/v1/deliveries", headers=team.ada.headers)).json()
