"""Invariant 9 end to end: with no allow setting, "send test" to a webhook, Slack, Teams or a PSA
on loopback connects nowhere, and the ticket prefill cannot read an internal page back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.settings import Settings
from tests.deliveries.conftest import SIGNING_SECRET, Connect, Team, cw_settings, drain_all
from tests.factories import escalate, make_session
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook_receiver import FakeWebhookReceiver


@pytest.fixture
def closed(delivery_settings: Settings) -> Settings:
    """Production's default: no internal host allowed."""
    return delivery_settings.model_copy(update={"outbound_allow_hosts": ""})


@pytest.fixture
async def closed_app(closed: Settings, db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(closed)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def closed_client(closed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=closed_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
        yield http


async def test_send_test_to_loopback_is_refused_and_reaches_nothing(
    client: httpx.AsyncClient,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    closed: Settings,
    fake_slack: LocalServer[FakeSlack],
    fake_teams: LocalServer[FakeTeams],
    fake_hooks: LocalServer[FakeWebhookReceiver],
    fake_cw: LocalServer[cw.FakeConnectWise],
) -> None:
    port = fake_hooks.port
    targets = [
        await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)}),
        # The decimal and short spellings of 127.0.0.1, and a userinfo trick.
        await connect("teams", {"url": fake_teams.app.workflow_url(f"http://2130706433:{fake_teams.port}")}),
        await connect(
            "webhook",
            {
                "url": fake_hooks.app.url(f"http://hooks.example@127.1:{port}"),
                "signing_secret": SIGNING_SECRET,
            },
        ),
        await connect("connectwise", cw_settings(fake_cw, site=f"http://127.0.0.1:{fake_cw.port}/anypath#")),
    ]
    sent = []
    for integration in targets:
        body = {"ticket_id": "4711"} if integration["kind"] == "connectwise" else {}
        response = await client.post(
            f"/api/v1/integrations/{integration['id']}/test", headers=team.ada.headers, json=body
        )
        assert response.status_code == 202, response.text
        sent.append(response.json()["id"])
    queue = DeliveryQueue(closed)
    try:
        await drain_all(db, queue, admin_conn)
    finally:
        await queue.aclose()
    for delivery_id in sent:
        result = (await client.get(f"/api/v1/deliveries/{delivery_id}", headers=team.ada.headers)).json()
        assert result["status"] == "dead" and result["attempts"] == 1, result
        assert "was not called" in result["last_error"] and "127.0.0.1" in result["last_error"]
        assert "RELAYDESK_OUTBOUND_ALLOW_HOSTS" in result["last_error"]
    assert fake_slack.app.requests == [] and fake_teams.app.requests == []
    assert fake_hooks.app.requests == [] and fake_cw.app.requests == []


async def test_escalation_deliveries_refused_show_engineers_a_generic_line(
    client: httpx.AsyncClient,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    closed: Settings,
    fake_hooks: LocalServer[FakeWebhookReceiver],
) -> None:
    await connect("webhook", {"url": fake_hooks.app.url(fake_hooks.url), "signing_secret": SIGNING_SECRET})
    session = await make_session(db, team.jane, problem="VPN drops every hour")
    await escalate(db, team.jane, session)
    queue = DeliveryQueue(closed)
    try:
        await drain_all(db, queue, admin_conn)
    finally:
        await queue.aclose()
    as_admin = (
        await client.get(f"/api/v1/deliveries?session_id={session.id}", headers=team.ada.headers)
    ).json()
    hook = next(d for d in as_admin if d["channel"] == "webhook")
    assert hook["status"] == "dead" and "was not called" in hook["last_error"]
    as_engineer = (
        await client.get(f"/api/v1/deliveries?session_id={session.id}", headers=team.jane.headers)
    ).json()
    shown = next(d for d in as_engineer if d["channel"] == "webhook")["last_error"]
    assert "127.0.0.1" not in shown and "admin" in shown
    assert fake_hooks.app.requests == []
    # The live event of the dead delivery carries no reason: engineers receive it.
    (payload,) = admin_conn.execute(
        "SELECT payload FROM events WHERE type = 'delivery.dead' AND payload->>'channel' = 'webhook'"
    ).fetchone() or (None,)
    assert payload is not None and "error" not in payload


async def test_ticket_prefill_cannot_read_internal_pages(
    closed_client: httpx.AsyncClient,
    team: Team,
    fake_cw: LocalServer[cw.FakeConnectWise],
    fake_halo: LocalServer[halo.FakeHalo],
    fake_at: LocalServer[at.FakeAutotask],
) -> None:
    async def add(kind: str, settings: dict[str, str]) -> str:
        response = await closed_client.post(
            "/api/v1/integrations",
            headers=team.ada.headers,
            json={"kind": kind, "name": kind, "settings": settings},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def remove(integration_id: str) -> None:
        await closed_client.delete(f"/api/v1/integrations/{integration_id}", headers=team.ada.headers)

    cases = [
        ("connectwise", cw_settings(fake_cw, site=f"http://127.0.0.1:{fake_cw.port}/anypath#")),
        (
            "halopsa",
            {
                "base_url": f"http://[::ffff:127.0.0.1]:{fake_halo.port}",
                "client_id": halo.CLIENT_ID,
                "client_secret": halo.CLIENT_SECRET,
            },
        ),
        (
            "autotask",
            {
                "username": at.USER,
                "secret": at.SECRET,
                "integration_code": at.INTEGRATION_CODE,
                "zone_lookup_url": fake_at.app.lookup_url(f"http://localhost:{fake_at.port}"),
            },
        ),
    ]
    for kind, settings in cases:
        integration_id = await add(kind, settings)
        admin = await closed_client.get("/api/v1/psa/tickets/4711", headers=team.ada.headers)
        assert admin.status_code == 502, admin.text
        assert admin.headers["content-type"].startswith("application/problem+json")
        assert "was not called" in admin.json()["detail"], admin.text
        engineer = await closed_client.get("/api/v1/psa/tickets/4711", headers=team.jane.headers)
        assert engineer.status_code == 502 and "127.0.0.1" not in engineer.text
        await remove(integration_id)
    assert fake_cw.app.requests == [] and fake_halo.app.requests == [] and fake_at.app.requests == []
