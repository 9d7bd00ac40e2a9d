"""Forms on the integration settings: a refused form writes nothing; a successful one redirects."""

from __future__ import annotations

import re

import httpx
import psycopg

from tests.deliveries.conftest import Connect, Team
from tests.factories import login
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def test_a_refused_edit_stores_nothing(
    client: httpx.AsyncClient,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    fake_slack: LocalServer[FakeSlack],
) -> None:
    added = await connect("slack", {"url": fake_slack.app.hook_url(fake_slack.url)}, name="#desk")
    await login(client, team.ada.user.email)
    page = await client.get("/settings/integrations")
    refused = await client.post(
        f"/settings/integrations/{added['id']}",
        data={
            "csrf_token": _csrf(page.text),
            "name": "#renamed",
            "events": ["escalation"],
            "enabled": "on",
            "f_url": "not a url",
        },
    )
    assert refused.status_code == 422, refused.text
    # the service renamed the row before the URL check refused: the savepoint undid it
    assert admin_conn.execute("SELECT name FROM integrations").fetchall() == [("#desk",)]
    # the page shown again still has the header's counts
    assert 'id="queue-count" class="badge">0<' in refused.text


async def test_a_new_webhook_shows_its_secret_once_after_the_redirect(
    client: httpx.AsyncClient, admin_conn: psycopg.Connection, team: Team
) -> None:
    await login(client, team.ada.user.email)
    page = await client.get("/settings/integrations")
    added = await client.post(
        "/settings/integrations/new",
        data={
            "csrf_token": _csrf(page.text),
            "kind": "webhook",
            "name": "Our hook",
            "events": ["escalation"],
            "f_url": "https://hooks.example.com/relaydesk",
        },
    )
    # post/redirect/get: a reload of what the browser shows next cannot add a second webhook
    assert added.status_code == 303, added.text
    shown = await client.get(added.headers["location"])
    secrets = re.findall(r"whsec_[A-Za-z0-9+/=]+", shown.text)
    assert shown.status_code == 200 and len(set(secrets)) == 1
    again = await client.get(added.headers["location"])
    assert not re.findall(r"whsec_[A-Za-z0-9+/=]+", again.text)  # shown once
    assert admin_conn.execute("SELECT count(*) FROM integrations").fetchone() == (1,)

    (integration_id,) = admin_conn.execute("SELECT id FROM integrations").fetchone()
    rotated = await client.post(
        f"/settings/integrations/{integration_id}/rotate", data={"csrf_token": _csrf(again.text)}
    )
    assert rotated.status_code == 303
    fresh = await client.get(rotated.headers["location"])
    new_secrets = set(re.findall(r"whsec_[A-Za-z0-9+/=]+", fresh.text))
    assert len(new_secrets) == 1 and new_secrets != set(secrets)
    assert not re.findall(r"whsec_[A-Za-z0-9+/=]+", (await client.get(rotated.headers["location"])).text)
