"""Import from ConnectWise over a real socket: keyset paging, a 429 mid-way, stop and resume, rerun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.imports import psa_connectwise
from relaydesk.imports.psa import import_psa
from relaydesk.imports.psa_connectwise import ConnectWiseHistory
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import IntegrationCreate
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.base import ConnectWiseConfig
from tests.conftest import LOOPBACK_ALLOWED
from tests.factories import make_account, make_user
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer, serving
from tests.imports.timing import assert_steps_carry_note_times

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRET = "test-secret-key"


@pytest.fixture
def fake() -> Iterator[LocalServer[cw.FakeConnectWise]]:
    with serving(cw.FakeConnectWise()) as server:
        vendor = server.app
        vendor.tickets.clear()
        for n in range(101, 106):
            vendor.add_closed_ticket(
                n, f"VPN drops at site {n}", f"2026-0{n - 100}-15T10:00:00Z",
                notes=["Checked the tunnel logs", "Reinstalled the client"],
                resolution=f"Raised the idle timeout to {n} minutes", closedBy="dsenior",
            )  # fmt: skip
        vendor.add_closed_ticket(99, "Too old", "2025-10-01T10:00:00Z", notes=[], resolution="x")
        vendor.add_closed_ticket(107, "No resolution", "2026-07-01T10:00:00Z", notes=["a"], resolution=None)
        vendor.tickets[108] = {"id": 108, "summary": "Still open", "closedFlag": False}
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psa_connectwise, "PAGE_SIZE", 2)


def lister(
    server: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient, waits: list[float]
) -> ConnectWiseHistory:
    config = ConnectWiseConfig(server.url, cw.COMPANY, cw.PUBLIC_KEY, cw.PRIVATE_KEY, cw.CLIENT_ID)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return ConnectWiseHistory(config, client=http, sleep=sleep)


def imported(admin_conn: psycopg.Connection, account_id: object) -> list[str]:
    rows = admin_conn.execute(
        "SELECT import_vendor_id FROM sessions WHERE account_id = %s AND import_source = 'connectwise' "
        "ORDER BY import_vendor_id",
        (account_id,),
    ).fetchall()
    return [r[0] for r in rows]


async def test_pages_and_a_429_in_the_middle(
    db: Database,
    admin_conn: psycopg.Connection,
    fake: LocalServer[cw.FakeConnectWise],
    http: httpx.AsyncClient,
) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    waits: list[float] = []
    pages: list[int] = []

    def after_page(report: object) -> None:
        pages.append(1)
        if len(pages) == 1:
            fake.app.fail_next(
                status=429, retry_after="2", body={"code": "TooManyRequests", "message": "slow"}
            )

    report = await import_psa(
        db, account.id, lister(fake, http, waits), months=12, now=NOW, on_page=after_page
    )
    assert (report.imported, report.skipped) == (5, 0)
    assert [(e.row, e.reason) for e in report.errors] == [(107, "the ticket has no resolution note")]
    assert waits == [2.0]  # Retry-After honoured once, then the same request again
    assert imported(admin_conn, account.id) == ["101", "102", "103", "104", "105"]
    # keyset paging: 101,102 | 103,104 | 105,107 (a short page would end it; 107 ends a full one) | none
    lists = [r for r in fake.app.requests_to("/service/tickets", "GET") if "/notes" not in r.path]
    conditions = [r.query.get("conditions") for r in lists]
    assert conditions[0] == "closedFlag=true and closedDate>=[2025-12-01T00:00:00Z]"
    assert conditions[1:] == [
        f"closedFlag=true and closedDate>=[2025-12-01T00:00:00Z] and id>{n}" for n in (102, 102, 104, 107)
    ]  # the 429 and its retry are the same request
    steps = admin_conn.execute("SELECT count(*) FROM steps WHERE account_id = %s", (account.id,)).fetchone()
    assert steps == (10,)
    assert_steps_carry_note_times(
        admin_conn,
        account.id,
        [(n["text"], n["dateCreated"]) for notes in fake.app.notes.values() for n in notes],
    )


async def test_stop_and_resume_never_duplicates_then_a_rerun_imports_nothing_new(
    db: Database,
    admin_conn: psycopg.Connection,
    fake: LocalServer[cw.FakeConnectWise],
    http: httpx.AsyncClient,
) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    waits: list[float] = []

    def break_next(report: object) -> None:
        fake.app.fail_next(status=500, body={"code": "Boom", "message": "down"})

    with pytest.raises(DeliveryFailed):
        await import_psa(db, account.id, lister(fake, http, waits), now=NOW, on_page=break_next)
    assert imported(admin_conn, account.id) == ["101", "102"]
    fake.app.requests.clear()
    resumed = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (resumed.imported, resumed.skipped) == (3, 0)
    first = next(r for r in fake.app.requests if "/notes" not in r.path)
    assert first.query["conditions"].endswith("and id>102")  # continued after the cursor
    assert imported(admin_conn, account.id) == ["101", "102", "103", "104", "105"]

    again = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (again.imported, again.skipped, len(again.errors)) == (0, 5, 1)
    assert imported(admin_conn, account.id) == ["101", "102", "103", "104", "105"]
    cursor = admin_conn.execute(
        "SELECT position, finished_at IS NOT NULL, imported, skipped FROM import_cursors "
        "WHERE account_id = %s",
        (account.id,),
    ).fetchone()
    assert cursor == (None, True, 0, 5)


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_cli_import_psa_json(
    database_url: str, db: Database, fake: LocalServer[cw.FakeConnectWise], admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db, name="PSA IT")
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
            secret_key=SECRET,
        )
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SECRET_KEY": SECRET,
        "RELAYDESK_OUTBOUND_ALLOW_HOSTS": LOOPBACK_ALLOWED,  # the fake is on loopback
    }
    command = [
        sys.executable,
        "-m",
        "relaydesk.cli",
        "import",
        "psa",
        "--account",
        "PSA IT",
        "--months",
        "60",
    ]
    done = _run([*command, "--json"], env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    # 99 (closed 2025-10) is inside 60 months; 107 has no resolution
    assert (body["source"], body["imported"], body["skipped"], len(body["errors"])) == (
        "connectwise",
        6,
        0,
        1,
    )
    again = _run(command, env)
    assert again.returncode == 0 and "imported 0, skipped 6 already imported, 1 errors" in again.stdout
