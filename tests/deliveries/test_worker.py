"""Escalation deliveries end to end: rows in the escalation's transaction, the worker, real sockets."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from sqlalchemy import text

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.deliveries.reminder_queue import ReminderQueue
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.settings import Settings
from relaydesk.summaries.schemas import Summary
from tests.deliveries.conftest import (
    SIGNING_SECRET,
    Connect,
    Team,
    cw_settings,
    drain_all,
    run_worker,
    statuses,
    unfinished,
)
from tests.factories import escalate, make_session, make_step
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer, free_port
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook_receiver import FakeWebhookReceiver


def no_email(admin_conn: psycopg.Connection, team: Team) -> None:
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')", (team.account.id,)
    )


def _recipients(smtp: FakeSmtp) -> list[str]:
    return sorted(address for mail in smtp.messages for address in mail.rcpt_tos)


async def test_escalation_reaches_each_channel_exactly_once(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_smtp: FakeSmtp,
    fake_slack: LocalServer[FakeSlack],
    fake_teams: LocalServer[FakeTeams],
    fake_hooks: LocalServer[FakeWebhookReceiver],
    fake_cw: LocalServer[cw.FakeConnectWise],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)}, name="#escalations")
    await connect("teams", {"url": fake_teams.app.workflow_url(fake_teams.url)}, name="Service desk")
    await connect("webhook", {"url": fake_hooks.app.url(fake_hooks.url), "signing_secret": SIGNING_SECRET})
    await connect("connectwise", cw_settings(fake_cw))
    session = await make_session(db, team.jane, ticket="4711", priority="high", client="Contoso")
    await make_step(db, team.jane, session, action="Recreated the Outlook profile", result="Same 0x800CCC0E")
    handoff = await escalate(db, team.jane, session, reason="Out of ideas")

    # Committed with the escalation, before anything is sent.
    rows = statuses(admin_conn, team.account.id)
    assert {(channel, status) for channel, _, status, *_ in rows} == {
        ("email", "pending"),
        ("slack", "pending"),
        ("teams", "pending"),
        ("webhook", "pending"),
        ("psa_note", "pending"),
    }
    assert not fake_smtp.messages and not fake_slack.app.messages

    await drain_all(db, queue, admin_conn)

    # Engineers, admins and owners with email on; not the escalator, the viewer, Kim (email off)
    # or the removed user.
    assert _recipients(fake_smtp) == sorted([team.sam.user.email, team.ada.user.email, team.olga.user.email])
    title = handoffs.escalation_title("Jane Doe", "4711", session.problem_summary)
    link = f"http://relaydesk.test/sessions/{session.id}/pickup"
    for mail in fake_smtp.messages:
        assert mail.message["Subject"] == title
        assert mail.message.get_content_type() == "multipart/alternative"
        text = mail.message.get_body(("plain",)).get_content()
        html = mail.message.get_body(("html",)).get_content()
        assert link in text and f'href="{link}"' in html
        assert "Recreated the Outlook profile" in text and "Out of ideas" in text

    assert len(fake_slack.app.messages) == 1
    blocks = json.dumps(fake_slack.app.messages[0]["blocks"], ensure_ascii=False)
    assert title in blocks and link in blocks and "Contoso" in blocks
    assert len(fake_teams.app.messages) == 1 and not fake_teams.app.card_errors
    assert len(fake_hooks.app.events) == 1 and not fake_hooks.app.rejected
    event = fake_hooks.app.events[0]
    assert event["type"] == "handoff.escalated"
    assert event["data"]["handoff_id"] == str(handoff.id) and event["data"]["url"] == link
    notes = fake_cw.app.notes[4711]
    assert len(notes) == 1 and notes[0]["internalAnalysisFlag"] is True
    assert notes[0]["text"].startswith("Escalated in Relaydesk by Jane Doe (high priority)")
    assert "Why: Out of ideas" in notes[0]["text"] and "Recreated the Outlook profile" in notes[0]["text"]

    rows = statuses(admin_conn, team.account.id)
    assert all(
        status == "sent" and attempts == 1 and error is None for _, _, status, attempts, error, _ in rows
    )
    assert {ext for channel, _, _, _, _, ext in rows if channel == "psa_note"} == {str(notes[0]["id"])}

    # Running the worker again sends nothing more.
    assert not await queue.run_once(db)
    assert len(fake_smtp.messages) == 3 and len(fake_slack.app.messages) == 1 and len(notes) == 1


async def test_targeted_escalation_emails_only_the_target(
    db: Database, admin_conn: psycopg.Connection, team: Team, queue: DeliveryQueue, fake_smtp: FakeSmtp
) -> None:
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session, target=team.sam.user.id)
    await drain_all(db, queue, admin_conn)
    assert _recipients(fake_smtp) == [team.sam.user.email]


async def test_rolled_back_escalation_sends_nothing(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_smtp: FakeSmtp,
    fake_slack: LocalServer[FakeSlack],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    session = await make_session(db, team.jane)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.uow(team.account.id) as uow:
            await handoffs.create_handoff(
                uow, team.jane.actor, session.id, HandoffCreate(intent="escalate", reason="Stuck")
            )
            # The rows are there inside the transaction (invisible to anyone else)...
            assert await uow.scalar(text("SELECT count(*) FROM deliveries")) == 4  # 3 emails, Slack
            assert admin_conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
            raise Boom  # ...and the escalation fails after them

    assert admin_conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    assert admin_conn.execute("SELECT count(*) FROM reminders").fetchone() == (0,)
    assert not await queue.run_once(db)
    assert not await ReminderQueue().run_once(db)
    await asyncio.sleep(0.2)
    assert fake_smtp.messages == [] and fake_slack.app.messages == []


@pytest.mark.parametrize("outage", ["refused", "500", "429"])
async def test_slack_down_for_a_while_gets_the_message_once_after_it_recovers(
    outage: str,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_slack: LocalServer[FakeSlack],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    no_email(admin_conn, team)
    if outage == "refused":
        fake_slack.stop()
    elif outage == "500":
        fake_slack.app.fail_next(2, status=500, body="rollup_error")
    else:
        fake_slack.app.fail_next(1, status=429, body="rate_limited", retry_after="1")
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session)

    loop = asyncio.get_running_loop()
    started = loop.time()
    await run_worker(
        db, queue, until=lambda: statuses(admin_conn)[0][2] == "failed" and statuses(admin_conn)[0][3] >= 1
    )
    (_, _, status, attempts, error, _) = statuses(admin_conn)[0]
    assert status == "failed" and error
    expected = {
        "refused": "Slack could not be reached: connection refused (is it down?)",
        "500": "Slack answered 500 rollup_error: Slack had an internal error",
        "429": "Slack answered 429 rate_limited",
    }[outage]
    assert error.startswith(expected)
    if outage == "429":
        (wait,) = admin_conn.execute(
            "SELECT extract(epoch FROM next_attempt_at - updated_at) FROM deliveries"
        ).fetchone()
        assert 0.9 <= float(wait) <= 1.5  # Retry-After: 1, not the 0.2 s backoff
    if outage == "refused":
        await asyncio.sleep(0.5)
        fake_slack.start()

    await drain_all(db, queue, admin_conn)
    (_, _, status, attempts, error, _) = statuses(admin_conn)[0]
    assert status == "sent" and error is None and attempts >= 2
    assert len(fake_slack.app.messages) == 1  # once, after it recovered
    if outage == "429":
        assert loop.time() - started >= 0.9


async def test_email_server_down_then_back(
    db: Database, admin_conn: psycopg.Connection, team: Team, queue: DeliveryQueue, fake_smtp: FakeSmtp
) -> None:
    fake_smtp.stop()
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session, target=team.sam.user.id)
    await run_worker(db, queue, until=lambda: statuses(admin_conn)[0][2] == "failed")
    assert "connection refused" in statuses(admin_conn)[0][4]
    fake_smtp.start()
    await drain_all(db, queue, admin_conn)
    assert _recipients(fake_smtp) == [team.sam.user.email]
    assert statuses(admin_conn)[0][2] == "sent"


async def test_secrets_typed_into_the_session_are_in_no_delivered_payload(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_smtp: FakeSmtp,
    fake_slack: LocalServer[FakeSlack],
    fake_teams: LocalServer[FakeTeams],
    fake_hooks: LocalServer[FakeWebhookReceiver],
    fake_cw: LocalServer[cw.FakeConnectWise],
) -> None:
    secrets = [
        "Summer2024!x",
        "ghp_R2d2C3p0R2d2C3p0R2d2C3p0R2d2C3p0abcd",
        "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "S3cr3t-Db-Pa55",
    ]
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    await connect("teams", {"url": fake_teams.app.workflow_url(fake_teams.url)})
    await connect("webhook", {"url": fake_hooks.app.url(fake_hooks.url), "signing_secret": SIGNING_SECRET})
    await connect("connectwise", cw_settings(fake_cw))
    session = await make_session(
        db, team.jane, ticket="4711", problem=f"VPN login fails for the CFO, password: {secrets[0]}"
    )
    await make_step(db, team.jane, session, action=f"Tried the GitHub token {secrets[1]}", result="401")
    await make_step(
        db, team.jane, session, action=f"Slack bot token is {secrets[2]}", result=None, outcome="info"
    )
    await escalate(
        db,
        team.jane,
        session,
        reason="Stuck",
        notes=f"DB is postgres://app:{secrets[3]}@db01/crm if you need it",
    )
    await drain_all(db, queue, admin_conn)

    delivered = [m.raw.decode("utf-8", "replace") for m in fake_smtp.messages]
    delivered += [
        r.raw.decode()
        for server in (fake_slack, fake_teams, fake_hooks, fake_cw)
        for r in server.app.requests
    ]
    stored = [json.dumps(row[0]) for row in admin_conn.execute("SELECT payload FROM deliveries")]
    assert len(fake_smtp.messages) == 3 and fake_slack.app.messages and fake_cw.app.notes[4711]
    for body in delivered + stored:
        for secret in secrets:
            assert secret not in body
    assert any("[redacted" in body for body in delivered)


async def test_bad_urls_and_bad_credentials_end_as_readable_errors(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    fake_slack: LocalServer[FakeSlack],
    fake_hooks: LocalServer[FakeWebhookReceiver],
    fake_cw: LocalServer[cw.FakeConnectWise],
) -> None:
    queue = DeliveryQueue(delivery_settings.model_copy(update={"delivery_max_attempts": 2}))
    await connect(
        "webhook",
        {"url": f"http://127.0.0.1:{free_port()}/hooks", "signing_secret": SIGNING_SECRET},
        name="refused",
    )
    await connect(
        "webhook", {"url": fake_hooks.url + "/no/such/path", "signing_secret": SIGNING_SECRET}, name="404"
    )
    await connect("connectwise", cw_settings(fake_cw, private_key="wrong-key"))
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    session = await make_session(db, team.jane, ticket="4711")
    await escalate(db, team.jane, session)
    try:
        await drain_all(db, queue, admin_conn)
    finally:
        await queue.aclose()

    by_target = {
        target: (status, attempts, error) for _, target, status, attempts, error, _ in statuses(admin_conn)
    }
    assert by_target["Signed webhook · refused"] == (
        "dead",
        2,
        "The webhook endpoint could not be reached: connection refused (is it down?)"
        " (gave up after 2 attempts)",
    )
    assert by_target["Signed webhook · 404"] == (
        "dead",
        1,
        "The webhook endpoint answered 404 Not Found: Not Found",
    )
    status, attempts, error = by_target["ConnectWise PSA ticket 4711"]
    assert status == "dead" and attempts == 1
    assert error.startswith("ConnectWise answered 401 Unauthorized: the company id or API keys were refused")
    assert "wrong-key" not in error
    # The others went out regardless.
    assert by_target["Slack · slack one"][0] == "sent" and len(fake_slack.app.messages) == 1
    # Each dead delivery is an event the session's screens hear about.
    (dead_events,) = admin_conn.execute("SELECT count(*) FROM events WHERE type = 'delivery.dead'").fetchone()
    assert dead_events == 3


async def test_no_smtp_configured_is_a_readable_dead_delivery(
    db: Database, admin_conn: psycopg.Connection, team: Team, settings: Settings
) -> None:
    queue = DeliveryQueue(settings)
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session, target=team.sam.user.id)
    await drain_all(db, queue, admin_conn)
    await queue.aclose()
    ((_, _, status, _, error, _),) = statuses(admin_conn)
    assert status == "dead" and error.startswith("No SMTP server is set up (RELAYDESK_SMTP_URL is empty)")


async def test_psa_note_includes_the_summary_and_chat_the_likely_cause_when_ready(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    fake_slack: LocalServer[FakeSlack],
    fake_cw: LocalServer[cw.FakeConnectWise],
) -> None:
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    await connect("connectwise", cw_settings(fake_cw))
    queue = DeliveryQueue(delivery_settings.model_copy(update={"psa_summary_wait_seconds": 30.0}))
    session = await make_session(db, team.jane, ticket="4711")
    handoff = await escalate(db, team.jane, session)
    # Chat goes at once, without the cause (not ready); the PSA note waits for the summary.
    await run_worker(db, queue, until=lambda: len(fake_slack.app.messages) == 1)
    assert "Likely cause" not in json.dumps(fake_slack.app.messages[0])
    await asyncio.sleep(0.3)
    await queue.run_once(db)
    assert fake_cw.app.notes[4711] == []
    now = datetime.now(UTC)
    ready = Summary(
        ticket_note="Outlook fails after the modern-auth switch; profile rebuilds did not help.",
        likely_cause="Legacy auth blocked by the new conditional access policy",
        confidence="medium",
        engine="offline",
        state="ready",
        created_at=now,
        updated_at=now,
    )
    summary = ready.stored()
    admin_conn.execute(
        "UPDATE handoffs SET summary_state = 'ready', summary = %s WHERE id = %s",
        (json.dumps(summary), handoff.id),
    )
    await run_worker(db, queue, until=lambda: unfinished(admin_conn) == 0, seconds=10)
    await queue.aclose()
    (note,) = fake_cw.app.notes[4711]
    assert f"Summary: {summary['ticket_note']}" in note["text"]
    assert f"Likely cause: {summary['likely_cause']}" in note["text"]


async def test_resolving_adds_the_psa_resolve_note(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    queue: DeliveryQueue,
    fake_cw: LocalServer[cw.FakeConnectWise],
    fake_hooks: LocalServer[FakeWebhookReceiver],
) -> None:
    await connect("connectwise", cw_settings(fake_cw))
    await connect("webhook", {"url": fake_hooks.app.url(fake_hooks.url), "signing_secret": SIGNING_SECRET})
    session = await make_session(db, team.jane, ticket="4711")
    async with db.uow(team.account.id) as uow:
        await sessions.resolve_session(
            uow,
            team.jane.actor,
            session.id,
            ResolveIn(resolution="Re-registered the token broker; password=Hunter22!"),
        )
    await drain_all(db, queue, admin_conn)
    (note,) = fake_cw.app.notes[4711]
    assert note["text"].startswith("Resolved in Relaydesk by Jane Doe")
    assert "Re-registered the token broker" in note["text"] and "Hunter22!" not in note["text"]
    assert [e["type"] for e in fake_hooks.app.events] == ["session.resolved"]


async def test_unreadable_or_turned_off_integrations_end_as_readable_errors(
    client: httpx.AsyncClient,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    fake_slack: LocalServer[FakeSlack],
    fake_teams: LocalServer[FakeTeams],
) -> None:
    no_email(admin_conn, team)
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)}, name="#desk")
    teams = await connect("teams", {"url": fake_teams.app.workflow_url(fake_teams.url)}, name="Desk")
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session)
    turned_off = await client.patch(
        f"/api/v1/integrations/{teams['id']}", headers=team.ada.headers, json={"enabled": False}
    )
    assert turned_off.status_code == 200
    other_key = DeliveryQueue(delivery_settings.model_copy(update={"secret_key": "a-different-key"}))
    try:
        await drain_all(db, other_key, admin_conn)
    finally:
        await other_key.aclose()
    by_target = {target: (status, error) for _, target, status, _, error, _ in statuses(admin_conn)}
    assert by_target["Slack · #desk"] == (
        "dead",
        "The stored credentials cannot be decrypted with the current RELAYDESK_SECRET_KEY; "
        "enter them again in Settings → Integrations",
    )
    assert by_target["Microsoft Teams · Desk"] == (
        "dead",
        "The Microsoft Teams integration 'Desk' is turned off",
    )
    assert fake_slack.app.messages == [] and fake_teams.app.messages == []
