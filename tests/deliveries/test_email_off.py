"""With no SMTP server configured, email is off: no email deliveries at all, and the settings page
says so and how to turn it on. With one, the same escalation does queue its email."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests.deliveries.conftest import Team
from tests.factories import login, make_session


async def _escalate_over_http(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    session = await make_session(db, team.jane)
    response = await client.post(
        f"/api/v1/sessions/{session.id}/handoffs",
        headers=team.jane.headers,
        json={"intent": "escalate", "reason": "Stuck after a profile rebuild"},
    )
    assert response.status_code == 201, response.text


def _emails(admin_conn: psycopg.Connection) -> int:
    row = admin_conn.execute("SELECT count(*) FROM deliveries WHERE channel = 'email'").fetchone()
    assert row is not None
    return int(row[0])


async def test_no_smtp_means_no_email_deliveries_and_the_page_says_how_to_turn_it_on(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection, team: Team
) -> None:
    await _escalate_over_http(client, db, team)
    assert _emails(admin_conn) == 0
    assert admin_conn.execute("SELECT count(*) FROM deliveries WHERE status = 'dead'").fetchone() == (0,)

    await login(client, team.ada.user.email)
    page = await client.get("/settings/integrations")
    assert page.status_code == 200
    assert "Email is off" in page.text and "RELAYDESK_SMTP_URL" in page.text


async def test_with_smtp_the_same_escalation_queues_its_email(
    settings: Settings, db: Database, admin_conn: psycopg.Connection, team: Team, tmp_path: Path
) -> None:
    on = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:2525?starttls=0"})
    application = create_app(on, background=[])
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as client:
            await _escalate_over_http(client, db, team)
    assert _emails(admin_conn) >= 1
