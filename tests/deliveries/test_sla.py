"""The pickup SLA: a scheduled row that fires once for an unclaimed escalation, never for a claimed one."""

from __future__ import annotations

import asyncio

import httpx
import psycopg

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.deliveries.reminder_queue import ReminderQueue
from relaydesk.handoffs import service as handoffs
from tests.deliveries.conftest import Connect, Team, drain_all, run_worker, set_sla
from tests.factories import escalate, make_session
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

# Long enough that no slow machine reaches it by itself; the tests move the clock instead, by
# making the reminders due (_sla_passes), so they wait on nothing.
SLA_MINUTES = 15


def _sla_passes(admin_conn: psycopg.Connection) -> None:
    """The pickup SLA runs out: every reminder is due now (as if its minutes had passed)."""
    admin_conn.execute("UPDATE reminders SET due_at = now() - interval '1 second'")


def _reminders(admin_conn: psycopg.Connection) -> list[tuple[str, int]]:
    return admin_conn.execute("SELECT status, level FROM reminders ORDER BY created_at").fetchall()


def _unclaimed_bells(admin_conn: psycopg.Connection) -> list[tuple[str, str]]:
    return admin_conn.execute(
        "SELECT u.name, n.title FROM notifications n JOIN users u ON u.id = n.user_id "
        "WHERE n.kind = 'unclaimed' ORDER BY u.name"
    ).fetchall()


async def test_unclaimed_escalation_is_reminded_once_across_a_worker_restart(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_smtp: FakeSmtp,
    fake_slack: LocalServer[FakeSlack],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    set_sla(admin_conn, team.account.id, SLA_MINUTES)
    session = await make_session(db, team.jane, problem="Printers on the 3rd floor are offline")
    await escalate(db, team.jane, session)

    # A worker runs before the SLA is up: the escalation goes out, no reminder yet.
    first = ReminderQueue()
    await drain_all(db, queue, admin_conn)
    assert not await first.run_once(db)
    assert _reminders(admin_conn) == [("pending", 1)]
    fake_smtp.messages.clear()
    fake_slack.app.messages.clear()

    # The worker stops; the SLA passes while none runs. Two fresh workers start at once.
    _sla_passes(admin_conn)
    restarted = [ReminderQueue(), ReminderQueue()]
    fired = await asyncio.gather(*(q.run_once(db) for q in restarted))
    assert sorted(fired) == [False, True]
    await drain_all(db, queue, admin_conn)
    for q in (*restarted, first):  # and however often they run again
        assert not await q.run_once(db)

    assert _reminders(admin_conn) == [("fired", 1)]
    bells = _unclaimed_bells(admin_conn)
    assert [name for name, _ in bells] == ["Ada Admin", "Olga Owner"]  # admins and owners only
    assert bells[0][1] == "Unclaimed for 15 min: Printers on the 3rd floor are offline"
    assert sorted(a for m in fake_smtp.messages for a in m.rcpt_tos) == sorted(
        [team.ada.user.email, team.olga.user.email]
    )
    assert fake_smtp.messages[0].message["Subject"].startswith("Unclaimed for 15 min: Printers")
    (post,) = fake_slack.app.messages
    assert post["blocks"][0]["text"]["text"].startswith("Unclaimed for 15 min: Printers")


async def test_claimed_escalation_is_never_reminded_even_across_a_restart(
    client: httpx.AsyncClient,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_smtp: FakeSmtp,
    fake_slack: LocalServer[FakeSlack],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    set_sla(admin_conn, team.account.id, SLA_MINUTES)
    session = await make_session(db, team.jane)
    claimed = await escalate(db, team.jane, session)
    other = await make_session(db, team.jane, problem="Second one, withdrawn")
    withdrawn = await escalate(db, team.jane, other)
    await drain_all(db, queue, admin_conn)
    fake_smtp.messages.clear()
    fake_slack.app.messages.clear()

    response = await client.post(f"/api/v1/handoffs/{claimed.id}/claim", headers=team.sam.headers)
    assert response.status_code == 200, response.text
    async with db.uow(team.account.id) as uow:
        await handoffs.withdraw(uow, team.jane.actor, withdrawn.id)
    assert sorted(s for s, _ in _reminders(admin_conn)) == ["cancelled", "cancelled"]

    _sla_passes(admin_conn)
    fresh = ReminderQueue()  # "after a restart": a new worker that never saw either escalation
    await run_worker(db, fresh, queue, until=lambda: True)
    assert not await fresh.run_once(db)
    assert _unclaimed_bells(admin_conn) == []
    assert fake_smtp.messages == [] and fake_slack.app.messages == []


async def test_reminder_for_a_handoff_claimed_without_the_cancel_stays_quiet(
    db: Database, admin_conn: psycopg.Connection, team: Team, queue: DeliveryQueue, fake_smtp: FakeSmtp
) -> None:
    """Belt and braces: the reminder itself checks the handoff is still open when it fires."""
    set_sla(admin_conn, team.account.id, SLA_MINUTES)
    session = await make_session(db, team.jane)
    handoff = await escalate(db, team.jane, session)
    admin_conn.execute("UPDATE handoffs SET status = 'closed' WHERE id = %s", (handoff.id,))
    _sla_passes(admin_conn)
    await ReminderQueue().run_once(db)  # takes the due row, finds the handoff closed
    assert _reminders(admin_conn) == [("cancelled", 1)]
    assert _unclaimed_bells(admin_conn) == []


async def test_sla_zero_schedules_nothing(db: Database, admin_conn: psycopg.Connection, team: Team) -> None:
    set_sla(admin_conn, team.account.id, 0)
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session)
    assert _reminders(admin_conn) == []


async def test_default_sla_is_fifteen_minutes(
    db: Database, admin_conn: psycopg.Connection, team: Team
) -> None:
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session)
    (minutes,) = admin_conn.execute(
        "SELECT extract(epoch FROM r.due_at - h.created_at) / 60 "
        "FROM reminders r JOIN handoffs h ON h.id = r.handoff_id"
    ).fetchone()
    assert 14.9 < float(minutes) < 15.1
