"""A secret in every free-text field reaches no email, chat post, webhook or PSA note (invariant 7).

The session is escalated (email, Slack, Teams, webhook, ConnectWise note), then resolved (the
ConnectWise resolve note and the `session.resolved` webhook), all over real sockets to local fakes.
"""

from __future__ import annotations

import json

import psycopg

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.handoffs import service as handoffs
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from tests.deliveries.conftest import SIGNING_SECRET, Connect, Team, cw_settings, drain_all
from tests.factories import escalate, make_session, make_step
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.redaction import fields


async def test_a_secret_in_every_free_text_field_is_in_no_delivery(
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
    await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)})
    await connect("teams", {"url": fake_teams.app.workflow_url(fake_teams.url)})
    await connect("webhook", {"url": fake_hooks.app.url(fake_hooks.url), "signing_secret": SIGNING_SECRET})
    await connect("connectwise", cw_settings(fake_cw))
    session = await make_session(
        db,
        team.jane,
        ticket="4711",
        problem=fields.text("problem"),
        client=fields.text("client"),
        category=fields.text("category"),
    )
    await make_step(db, team.jane, session, action=fields.text("action"), result=fields.text("result"))
    await make_step(db, team.jane, session, action=fields.text("note"), result=None, outcome="info")
    handoff = await escalate(db, team.jane, session, reason=fields.text("reason"), notes=fields.text("notes"))
    await drain_all(db, queue, admin_conn)
    async with db.uow(team.account.id) as uow:
        await handoffs.claim(uow, team.sam.actor, handoff.id)
    async with db.uow(team.account.id) as uow:
        await sessions.resolve_session(
            uow, team.sam.actor, session.id, ResolveIn(resolution=fields.text("resolution"))
        )
    await drain_all(db, queue, admin_conn)

    # Everything really went out: three emails, the chat posts, both webhooks, both PSA notes.
    assert len(fake_smtp.messages) == 3 and fake_slack.app.messages and fake_teams.app.requests
    assert [e["type"] for e in fake_hooks.app.events] == ["handoff.escalated", "session.resolved"]
    assert len(fake_cw.app.notes[4711]) == 2
    delivered = [m.raw.decode("utf-8", "replace") for m in fake_smtp.messages]
    delivered += [
        r.raw.decode()
        for server in (fake_slack, fake_teams, fake_hooks, fake_cw)
        for r in server.app.requests
    ]
    stored = [json.dumps(row[0]) for row in admin_conn.execute("SELECT payload FROM deliveries")]
    for body in delivered + stored:
        assert fields.leaks(body) == [], body[:400]
    # The context around each secret is still there for the reader.
    joined = "\n".join(delivered)
    assert "Acme Dental" in joined and "backupadmin" in joined and "[redacted password]" in joined
    assert "[redacted code]" in joined
