"""The PSA import started from Settings → Integrations: durable work the worker does, followed live."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

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
from tests.processes import start_relaydesk, wait_until

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
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = await client.post(f"{PAGE}/psa-import", data={"csrf_token": token, "months": "12"})
    assert refused.status_code == 403  # the page has a form (sign out), but this action is an admin's


async def test_a_worker_killed_mid_import_is_continued_by_the_next_after_its_lease(
    db: Database,
    settings: Settings,
    database_url: str,
    client: httpx.AsyncClient,
    admin_conn: psycopg.Connection,
    fake: LocalServer[cw.FakeConnectWise],
    tmp_path: Path,
) -> None:
    """A real `relaydesk worker` takes the import, commits its first page of 100 tickets, hangs on
    the second page's notes, and is SIGKILLed. Its lease keeps other workers off until it runs
    out; then the next worker continues from the cursor: every ticket once, none twice."""
    fake.app.tickets.clear()
    for n in range(1001, 1251):  # three pages of the real page size (100)
        fake.app.add_closed_ticket(
            n, f"Printer offline at desk {n}", "2026-09-15T10:00:00Z", notes=["Power-cycled the printer"],
            resolution=f"Replaced the network cable at port {n}",
        )  # fmt: skip
    fake.app.hang_next(seconds=120, only="/service/tickets/1101/notes")
    account, owner = await _connectwise(db, settings, fake)
    await login(client, owner.user.email)
    assert (await _start(client)).status_code == 303

    def imported() -> list[str]:
        rows = admin_conn.execute(
            "SELECT import_vendor_id FROM sessions WHERE account_id = %s AND import_source = 'connectwise'",
            (account.id,),
        ).fetchall()
        return [r[0] for r in rows]

    env = {
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SECRET_KEY": settings.resolved_secret_key(),
        "RELAYDESK_PUBLIC_URL": "http://relaydesk.test",
        "RELAYDESK_WORKER_POLL_SECONDS": "0.2",
        "RELAYDESK_LLM_MODEL": "",
    }
    log = tmp_path / "worker.log"
    worker = await start_relaydesk("worker", env=env, log=log)
    try:
        await wait_until(
            lambda: len(fake.app.requests_to("/service/tickets/1101/notes")) > 0, "page 2", within=90
        )
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert sorted(imported()) == [str(n) for n in range(1001, 1101)], log.read_text()[-2000:]
    (lease_until, position) = admin_conn.execute(
        "SELECT lease_until > now(), position FROM import_cursors WHERE account_id = %s", (account.id,)
    ).fetchone() or (None, None)
    assert lease_until is True and position == "1100"

    queue = PsaImportQueue(settings)
    assert await queue.run_once(db) is False  # the dead worker's lease still holds the request
    admin_conn.execute(  # five minutes pass: the lease runs out
        "UPDATE import_cursors SET lease_until = now() - interval '1 second' WHERE account_id = %s",
        (account.id,),
    )
    fake.app.release()
    listed_before = len(fake.app.requests_to("/service/tickets", "GET"))
    assert await queue.run_once(db) is True
    vendor_ids = imported()
    assert len(vendor_ids) == len(set(vendor_ids)) == 250  # none lost, none twice
    resumed = [r.query.get("conditions", "") for r in fake.app.requests_to("/service/tickets", "GET")]
    lists = [c for c in resumed[listed_before:] if "closedFlag" in c]
    assert lists and "id>1100" in lists[0].replace(" ", "")  # continued from the cursor, not page 1
    done = admin_conn.execute(
        "SELECT payload->>'imported', payload->>'error' FROM events WHERE account_id = %s "
        "AND type = 'import.done'",
        (account.id,),
    ).fetchall()
    assert done == [("150", None)]
