"""Import from HaloPSA over a real socket: page_no paging, a 429 mid-way, stop and resume, rerun."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.imports import psa_halopsa
from relaydesk.imports.psa import import_psa
from relaydesk.imports.psa_halopsa import HaloPsaHistory
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.base import HaloPsaConfig
from tests.factories import make_account, make_user
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer, serving
from tests.imports.timing import assert_steps_carry_note_times

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[LocalServer[halo.FakeHalo]]:
    with serving(halo.FakeHalo()) as server:
        vendor = server.app
        vendor.tickets.clear()
        for n in range(201, 206):
            vendor.add_closed_ticket(
                n, f"Printer offline {n}", f"2026-0{n - 200}-10T09:00:00Z",
                notes=["<p>Power-cycled the printer</p>"], resolution=f"Rolled back driver {n}",
            )  # fmt: skip
        vendor.add_closed_ticket(199, "Too old", "2025-01-01T09:00:00Z", notes=[], resolution="x")
        vendor.add_closed_ticket(206, "Unresolved", "2026-08-01T09:00:00Z", notes=["a"], resolution=None)
        vendor.tickets[207] = {"id": 207, "summary": "Open", "dateclosed": None}
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def lister(server: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, waits: list[float]) -> HaloPsaHistory:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    config = HaloPsaConfig.for_instance(server.url, halo.CLIENT_ID, halo.CLIENT_SECRET)
    return HaloPsaHistory(config, client=http, sleep=sleep)


def imported(admin_conn: psycopg.Connection, account_id: object) -> list[str]:
    rows = admin_conn.execute(
        "SELECT import_vendor_id FROM sessions WHERE account_id = %s AND import_source = 'halopsa' "
        "ORDER BY import_vendor_id",
        (account_id,),
    ).fetchall()
    return [r[0] for r in rows]


async def test_paging_429_stop_resume_and_rerun(
    db: Database,
    admin_conn: psycopg.Connection,
    fake: LocalServer[halo.FakeHalo],
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psa_halopsa, "PAGE_SIZE", 2)
    account = await make_account(db)
    await make_user(db, account, role="owner")
    waits: list[float] = []
    pages: list[int] = []

    def after_page(report: object) -> None:
        pages.append(1)
        if len(pages) == 1:  # a 429 on page 2's first call, then a hard failure on page 3
            fake.app.fail_next(status=429, retry_after="3", only="/api/Tickets")
        if len(pages) == 2:
            fake.app.fail_next(status=500, body="down", only="/api/Tickets")

    with pytest.raises(DeliveryFailed):
        await import_psa(db, account.id, lister(fake, http, waits), now=NOW, on_page=after_page)
    assert waits == [3.0]
    assert imported(admin_conn, account.id) == ["201", "202", "203", "204"]
    fake.app.requests.clear()
    resumed = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (resumed.imported, resumed.skipped) == (1, 0)
    assert [(e.row, e.reason) for e in resumed.errors] == [(206, "the ticket has no resolving action")]
    first = next(r for r in fake.app.requests if r.path == "/api/Tickets")
    assert (first.query["page_no"], first.query["startdate"]) == ("3", "2025-12-01T00:00:00Z")
    again = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (again.imported, again.skipped) == (0, 5)
    assert imported(admin_conn, account.id) == ["201", "202", "203", "204", "205"]
    steps = admin_conn.execute(
        "SELECT DISTINCT action FROM steps WHERE account_id = %s", (account.id,)
    ).fetchall()
    assert steps == [("Power-cycled the printer",)]
    assert_steps_carry_note_times(
        admin_conn, account.id, [(re.sub(r"<[^>]+>", "", a["note"]), a["datetime"]) for a in fake.app.actions]
    )
