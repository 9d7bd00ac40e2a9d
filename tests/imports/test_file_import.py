"""File import: CSV and JSON Lines with good, bad and duplicate rows, dry runs, what imported sessions are."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import select

from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.imports import service
from relaydesk.imports.parse import FormatError, read_csv, read_jsonl
from relaydesk.imports.records import HistoryRecord, HistoryStep
from relaydesk.summaries.jobs import SummaryQueue
from tests.factories import escalate, make_account, make_session, make_step, make_user

CSV = (
    "ticket_id,problem,steps,resolution,client,category,closed_at,technician\n"
    'T-1,VPN drops every ten minutes,"Checked the tunnel logs => idle timeout at 600s\n'
    '[failed] Reinstalled the client => still drops",'
    "Raised the idle timeout on the firewall to 8 hours,Acme,Network,2026-03-14T09:30:00Z,Dana Senior\n"
    ",No ticket id here,,Did a thing,Acme,,,\n"  # row 3: no ticket id
    "T-2,Printer offline after driver update,,Rolled back the driver,Beta,Printing,not-a-date,\n"  # row 4
    "T-1,VPN drops every ten minutes again,,Same fix,Acme,Network,,\n"  # row 5: duplicate of row 2
    "T-3,Outlook keeps asking for the password,Cleared cached credentials,Reset the MFA method,"
    "Acme,Email,2026-02-01,\n"
)


def jsonl(*objects: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


async def _tally(admin_conn: psycopg.Connection, account_id: uuid.UUID) -> tuple[int, int]:
    sessions = admin_conn.execute(
        "SELECT count(*) FROM sessions WHERE account_id = %s", (account_id,)
    ).fetchone()
    steps = admin_conn.execute("SELECT count(*) FROM steps WHERE account_id = %s", (account_id,)).fetchone()
    return sessions[0], steps[0]


async def test_csv_good_bad_and_duplicate_rows(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    owner = await make_user(db, account, role="owner")
    dana = await make_user(db, account, name="Dana Senior")
    report = await service.import_records(db, account.id, read_csv(io.StringIO(CSV)), source="csv")
    assert (report.imported, report.skipped) == (2, 1)
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "ticket_id is empty"),
        (4, "closed_at is not an ISO 8601 date or date-time (e.g. 2026-03-14T09:30:00Z)"),
    ]
    rows = admin_conn.execute(
        "SELECT ticket_id, status, owner_id, resolved_at, import_source, import_vendor_id, imported_at, "
        "search_document IS NOT NULL FROM sessions WHERE account_id = %s ORDER BY ticket_id",
        (account.id,),
    ).fetchall()
    assert [(r[0], r[1], r[4], r[5], r[7]) for r in rows] == [
        ("T-1", "resolved", "csv", "T-1", True),
        ("T-3", "resolved", "csv", "T-3", True),
    ]
    assert rows[0][2] == dana.user.id  # the technician is a user: they own it
    assert rows[1][2] == owner.user.id  # otherwise the account's owner does
    assert rows[0][3] == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert all(r[6] is not None for r in rows)
    # The search document was made after the steps were written, so it holds their words too.
    in_steps = admin_conn.execute(
        "SELECT search_document @@ to_tsquery('english', 'tunnel') FROM sessions "
        "WHERE account_id = %s AND ticket_id = 'T-1'",
        (account.id,),
    ).fetchone()
    assert in_steps == (True,)
    steps = admin_conn.execute(
        "SELECT action, result, outcome FROM steps st JOIN sessions s ON s.id = st.session_id "
        "WHERE s.ticket_id = 'T-1' AND s.account_id = %s ORDER BY st.created_at",
        (account.id,),
    ).fetchall()
    assert steps == [
        ("Checked the tunnel logs", "idle timeout at 600s", "info"),
        ("Reinstalled the client", "still drops", "failed"),
    ]
    # Imported, not resolved through the service: nothing was told or sent.
    for table in ("deliveries", "notifications", "events"):
        count = admin_conn.execute(f"SELECT count(*) FROM {table} WHERE account_id = %s", (account.id,))
        assert count.fetchone() == (0,), table


async def test_second_run_imports_nothing_new(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    await service.import_records(db, account.id, read_csv(io.StringIO(CSV)), source="csv")
    before = await _tally(admin_conn, account.id)
    again = await service.import_records(db, account.id, read_csv(io.StringIO(CSV)), source="csv")
    assert (again.imported, again.skipped, len(again.errors)) == (0, 3, 2)
    assert await _tally(admin_conn, account.id) == before == (2, 3)


async def test_duplicates_across_batches_are_skipped(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    records = [
        HistoryRecord(ticket_id=f"X-{n % 3}", problem=f"Problem {n}", resolution="Fixed") for n in range(7)
    ]
    report = await service.import_records(db, account.id, records, source="api", batch_size=2)
    assert (report.imported, report.skipped, report.errors) == (3, 4, [])
    assert await _tally(admin_conn, account.id) == (3, 0)


async def test_jsonl_good_bad_and_duplicate_lines(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    text = (
        jsonl(
            {
                "ticket_id": 101,
                "problem": "Mailbox full for shared inbox",
                "steps": [
                    "Checked the quota",
                    {"action": "Archived 2023", "result": "20% freed", "outcome": "partial"},
                ],
                "notes": "Client asked for a retention policy",
                "resolution": "Enabled online archive",
                "client": "Acme",
                "category": "Email",
                "closed_at": "2026-01-05T10:00:00+01:00",
            }
        )
        + "{not json\n"  # line 2
        + jsonl(
            {"ticket_id": "102", "problem": "", "resolution": "x"},  # line 3: empty problem
            {"ticket_id": "101", "problem": "Mailbox full", "resolution": "again"},  # line 4: duplicate
            {"ticket_id": "103", "problem": "Laptop fan loud", "resolution": "Cleaned it", "colour": "red"},
            {
                "ticket_id": "104",
                "problem": "Wi-Fi slow",
                "resolution": "Moved AP",
                "steps": [{"outcome": "fixed"}],
            },
        )
    )
    report = await service.import_records(db, account.id, read_jsonl(io.StringIO(text)), source="jsonl")
    assert (report.imported, report.skipped) == (1, 1)
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "not valid JSON (Expecting property name enclosed in double quotes)"),
        (3, "problem is empty"),
        (5, "unknown keys colour"),
        (6, "each object in steps needs an action (text)"),
    ]
    steps = admin_conn.execute(
        "SELECT action, result, outcome FROM steps WHERE account_id = %s ORDER BY created_at", (account.id,)
    ).fetchall()
    assert steps == [
        ("Checked the quota", None, "info"),
        ("Archived 2023", "20% freed", "partial"),
        ("Client asked for a retention policy", None, "info"),
    ]


async def test_dry_run_writes_nothing(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    await service.import_records(
        db, account.id, [HistoryRecord(ticket_id="T-3", problem="Old", resolution="Old")], source="csv"
    )
    before = await _tally(admin_conn, account.id)
    report = await service.import_records(
        db, account.id, read_csv(io.StringIO(CSV)), source="csv", dry_run=True
    )
    assert report.dry_run
    # T-1 would be new, its repeat and the already imported T-3 are skipped, rows 3 and 4 are errors.
    assert (report.imported, report.skipped, len(report.errors)) == (1, 2, 2)
    assert await _tally(admin_conn, account.id) == before


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Summary,Notes,Status\n", "missing problem, resolution, ticket_id; unknown summary, status"),
        ("problem,resolution\n", "missing ticket_id"),
    ],
)
def test_a_header_that_is_not_ours_names_the_columns(header: str, missing: str) -> None:
    with pytest.raises(FormatError) as caught:
        list(read_csv(io.StringIO(header + "a,b,c\n")))
    message = str(caught.value)
    assert missing in message
    assert (
        "Expected columns: problem, steps or notes, resolution, client, ticket_id, category, closed_at"
        in message
    )


def test_jsonl_that_is_not_ours_stops_at_the_first_object() -> None:
    with pytest.raises(FormatError, match="missing problem, resolution, ticket_id"):
        list(read_jsonl(io.StringIO(jsonl({"subject": "x", "body": "y"}))))


async def test_a_row_the_database_refuses_is_skipped_whole(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    # A NUL byte passes no validation path built for files, yet PostgreSQL refuses it in text.
    bad = HistoryRecord(
        ticket_id="B-2", problem="fine", resolution="ok", steps=(HistoryStep(action="a\x00b"),)
    )
    good = [
        HistoryRecord(ticket_id=f"B-{n}", problem=f"Problem {n}", resolution="ok", steps=(HistoryStep("x"),))
        for n in (1, 3)
    ]
    report = await service.import_records(db, account.id, [good[0], bad, good[1]], source="api")
    assert report.imported == 2
    assert [e.row for e in report.errors] == [2]
    assert "refused" in report.errors[0].reason
    assert await _tally(admin_conn, account.id) == (2, 2)  # B-2 left no session without steps behind


async def test_another_account_is_untouched_and_keys_are_per_account(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    a, b = await make_account(db), await make_account(db)
    await make_user(db, a, role="owner")
    await make_user(db, b, role="owner")
    record = [HistoryRecord(ticket_id="SAME", problem="Same problem", resolution="Same fix")]
    assert (await service.import_records(db, a.id, record, source="csv")).imported == 1
    assert await _tally(admin_conn, b.id) == (0, 0)
    assert (await service.import_records(db, b.id, record, source="csv")).imported == 1


async def test_an_imported_session_is_found_as_similar_by_a_new_escalation(db: Database) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    jane = await make_user(db, account)
    await make_user(db, account, role="admin")
    records = read_csv(io.StringIO(CSV))
    assert (await service.import_records(db, account.id, records, source="csv")).imported == 2
    session = await make_session(db, jane, problem="VPN drops every ten minutes for the sales team")
    await make_step(db, jane, session, action="Checked the tunnel logs", result="idle timeout")
    handoff = await escalate(db, jane, session)
    await SummaryQueue(config=None).run_once(db)
    async with db.uow(account.id) as uow:
        summary = await uow.scalar(select(Handoff.summary).where(Handoff.id == handoff.id))
    similar = (summary or {}).get("similar_sessions") or []
    assert similar, "the imported VPN session was not found as similar"
    assert similar[0]["resolution"] == "Raised the idle timeout on the firewall to 8 hours"


async def test_a_step_with_its_own_time_keeps_it_and_the_session_opens_with_it(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    text = jsonl(
        {
            "ticket_id": "T-9",
            "problem": "Shared drive mapping lost at logon",
            "steps": [
                {"action": "Checked the GPO", "at": "2026-01-05T08:15:00Z"},
                {"action": "Re-ran gpupdate", "at": "not a time"},  # unreadable: timed from the close
            ],
            "resolution": "Fixed the item-level targeting",
            "closed_at": "2026-01-05T09:00:00Z",
        }
    )
    report = await service.import_records(db, account.id, read_jsonl(io.StringIO(text)), source="jsonl")
    assert (report.imported, report.error_count) == (1, 0)
    steps = admin_conn.execute(
        "SELECT action, created_at FROM steps WHERE account_id = %s ORDER BY created_at", (account.id,)
    ).fetchall()
    assert steps == [
        ("Checked the GPO", datetime(2026, 1, 5, 8, 15, tzinfo=UTC)),
        ("Re-ran gpupdate", datetime(2026, 1, 5, 8, 59, 59, tzinfo=UTC)),
    ]
    opened = admin_conn.execute(
        "SELECT created_at FROM sessions WHERE account_id = %s", (account.id,)
    ).fetchone()
    assert opened == (datetime(2026, 1, 5, 8, 15, tzinfo=UTC),)
