"""The PSA import started from Settings → Integrations: durable work the worker does, followed live."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.imports import psa_connectwise
from relaydesk.imports.jobs import PsaImportQueue
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import IntegrationCreate
from relaydesk.settings import Settings
from tests.factories import login, make_account, make_user
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer, serving

PAGE = "/settings/integrations"


@pytest.fixture
def fake() -> Iterator[LocalServer[cw.FakeConnectWise]]:
    with serving(cw.FakeConnectWise()) as server:
        server.app.tickets.clear()
        for n in range(101, 106):
            server.app.add_closed_ticket(
                n, f"VPN drops at site {n}", "2026-09-15T10:00:00Z", notes=["Checked the tunnel logs"],
                resolution=f"Raised the idle timeout to {n} minutes",
            )  # fmt: skip
        yield server


async def _connectwise(db: Database, settings: Settings, fake: LocalServer[cw.FakeConnectWise]) -> tuple:
    account = await make_account(db)
    owner = await make_user(db, account, role="owner")
    async with db.uow(account.id) as uow:
        await integrations.create_integration(
            uow,
            owner.actor,
            IntegrationCreate(
                kind="connectwise",
                name="CW",
                settings={
                    "site": fake.url,
                    "company_id": cw.COMPANY,
                    "public_key": cw.PUBLIC_KEY,
                    "private_key": cw.PRIVATE_KEY,
                    "client_id": cw.CLIENT_ID,
                },
            ),
            secret_key=settings.resolved_secret_key(),
        )
    return account, owner


async def _start(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get(PAGE)
    assert page.status_code == 200 and "Import closed tickets" in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return await client.post(f"{PAGE}/psa-import", data={"csrf_token": token, "months": "12"})


async def test_the_button_starts_one_import_the_worker_does_and_the_page_follows(
    db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    admin_conn: psycopg.Connection,
    fake: LocalServer[cw.FakeConnectWise],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psa_connectwise, "PAGE_SIZE", 2)
    account, owner = await _connectwise(db, settings, fake)
    await login(client, owner.user.email)

    started = await _start(client)
    assert started.status_code == 303 and "Import+started" in started.headers["location"]
    # Nothing was imported in the request: it is the worker's job.
    assert fake.app.requests_to("/service/tickets", "GET") == []
    again = await _start(client)  # a second click while it is requested or running
    assert "already+running" in again.headers["location"]
    page = await client.get(PAGE)
    assert 'id="psa-import-start" disabled' in page.text and "Importing:" in page.text

    queue = PsaImportQueue(settings)
    assert await queue.run_once(db) is True
    assert await queue.run_once(db) is False  # one request, one run
    vendor_ids = admin_conn.execute(
        "SELECT import_vendor_id FROM sessions WHERE account_id = %s AND import_source = 'connectwise' "
        "ORDER BY 1",
        (account.id,),
    ).fetchall()
    assert [v[0] for v in vendor_ids] == ["101", "102", "103", "104", "105"]
    events = admin_conn.execute(
        "SELECT type, payload->>'imported' FROM events WHERE account_id = %s AND type LIKE 'import.%%' "
        "ORDER BY seq",
        (account.id,),
    ).fetchall()
    assert events[-1] == ("import.done", "5")
    assert [t for t, _ in events[:-1]] == ["import.progress"] * (len(events) - 1) and len(events) >= 3
    page = await client.get(PAGE)
    assert (
        "Last import finished: 5 imported" in page.text and 'id="psa-import-start" disabled' not in page.text
    )
    assert '<script src="/static/imports.js" defer></script>' in page.text


async def test_a_failing_psa_stops_with_the_reason_and_an_engineer_cannot_start(
    db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    fake: LocalServer[cw.FakeConnectWise],
    admin_conn: psycopg.Connection,
) -> None:
    account, owner = await _connectwise(db, settings, fake)
    engineer = await make_user(db, account, role="engineer")
    await login(client, owner.user.email)
    await _start(client)
    fake.app.fail_next(status=500, body={"code": "Boom", "message": "down"})
    assert await PsaImportQueue(settings).run_once(db) is True
    page = await client.get(PAGE)
    assert "Stopped:" in page.text and "continue where it stopped" in page.text
    done = admin_conn.execute(
        "SELECT payload->>'error' IS NOT NULL FROM events WHERE account_id = %s AND type = 'import.done'",
        (account.id,),
    ).fetchall()
    assert done == [(True,)]

    client.cookies.clear()
    await login(client, engineer.user.email)
    page = await client.get(PAGE)
    token = (
        page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        if "csrf_token" in page.text
        else ""
    )
    refused = await client.post(f"{PAGE}/psa-import", data={"csrf_token": token, "months": "12"})
    assert refused.status_code in (403, 303) and "Import+started" not in refused.headers.get("location", "")
