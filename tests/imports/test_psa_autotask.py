"""Import from Autotask over a real socket: Tickets/query keyset paging, a 429, stop and resume, rerun."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.imports import psa_autotask
from relaydesk.imports.psa import import_psa
from relaydesk.imports.psa_autotask import AutotaskHistory
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.autotask import clear_zone_cache
from relaydesk.psa.base import AutotaskConfig
from tests.factories import make_account, make_user
from tests.fakes import autotask as at
from tests.fakes.server import LocalServer, serving
from tests.imports.timing import assert_steps_carry_note_times

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[LocalServer[at.FakeAutotask]]:
    clear_zone_cache()
    with serving(at.FakeAutotask()) as server:
        vendor = server.app
        vendor.tickets.clear()
        for n in range(301, 306):
            vendor.add_completed_ticket(
                n, f"Mailbox full {n}", f"2026-0{n - 300}-20T08:00:00Z",
                notes=["Checked the quota", "Archived old mail"], resolution=f"Enabled online archive {n}",
            )  # fmt: skip
        vendor.add_completed_ticket(299, "Too old", "2025-02-01T08:00:00Z", notes=[], resolution="x")
        vendor.add_completed_ticket(306, "No resolution", "2026-09-01T08:00:00Z", notes=[], resolution=None)
        yield server
    clear_zone_cache()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def lister(
    server: LocalServer[at.FakeAutotask], http: httpx.AsyncClient, waits: list[float]
) -> AutotaskHistory:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    config = AutotaskConfig(
        username=at.USER,
        secret=at.SECRET,
        integration_code=at.INTEGRATION_CODE,
        zone_lookup_url=server.app.lookup_url(server.url),
    )
    return AutotaskHistory(config, client=http, sleep=sleep)


def imported(admin_conn: psycopg.Connection, account_id: object) -> list[str]:
    rows = admin_conn.execute(
        "SELECT import_vendor_id, client_name FROM sessions WHERE account_id = %s "
        "AND import_source = 'autotask' ORDER BY import_vendor_id",
        (account_id,),
    ).fetchall()
    assert all(r[1] == "Fabrikam Inc." for r in rows)
    return [r[0] for r in rows]


async def test_paging_429_stop_resume_and_rerun(
    db: Database,
    admin_conn: psycopg.Connection,
    fake: LocalServer[at.FakeAutotask],
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psa_autotask, "PAGE_SIZE", 2)
    account = await make_account(db)
    await make_user(db, account, role="owner")
    waits: list[float] = []
    pages: list[int] = []

    def after_page(report: object) -> None:
        pages.append(1)
        if len(pages) == 1:
            fake.app.fail_next(
                status=429, retry_after="4", body={"errors": ["threshold"]}, only="/Tickets/query"
            )
        if len(pages) == 2:
            fake.app.fail_next(status=500, body={"errors": ["down"]}, only="/Tickets/query")

    with pytest.raises(DeliveryFailed):
        await import_psa(db, account.id, lister(fake, http, waits), now=NOW, on_page=after_page)
    assert waits == [4.0]
    assert imported(admin_conn, account.id) == ["301", "302", "303", "304"]
    fake.app.requests.clear()
    resumed = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (resumed.imported, resumed.skipped) == (1, 0)
    assert [(e.row, e.reason) for e in resumed.errors] == [(306, "the ticket has no resolution")]
    query = next(r for r in fake.app.requests if r.path.endswith("/Tickets/query"))
    assert query.body["filter"] == [
        {"op": "gte", "field": "completedDate", "value": "2025-12-01T00:00:00Z"},
        {"op": "gt", "field": "id", "value": 304},
    ]
    again = await import_psa(db, account.id, lister(fake, http, waits), now=NOW)
    assert (again.imported, again.skipped) == (0, 5)
    assert imported(admin_conn, account.id) == ["301", "302", "303", "304", "305"]
    steps = admin_conn.execute("SELECT count(*) FROM steps WHERE account_id = %s", (account.id,)).fetchone()
    assert steps == (10,)
    assert_steps_carry_note_times(
        admin_conn,
        account.id,
        [(n["description"], n["createDateTime"]) for notes in fake.app.notes.values() for n in notes],
    )
