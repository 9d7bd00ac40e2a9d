"""Imports index the similar search once per batch (migration 0013), the same as a full rebuild would;
priorities come through; an account with indexed history can be deleted."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import psycopg
from sqlalchemy import text

from relaydesk.db.uow import Database
from relaydesk.imports import service
from relaydesk.imports.parse import read_jsonl
from relaydesk.imports.records import HistoryRecord, HistoryStep
from tests.factories import make_account, make_user


def _index(conn: psycopg.Connection, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "postings": conn.execute(
            "SELECT session_id, term, tf, doc_len FROM search_postings WHERE account_id = %s "
            "ORDER BY session_id, term",
            (account_id,),
        ).fetchall(),
        "terms": conn.execute(
            "SELECT term, df FROM search_terms WHERE account_id = %s AND df > 0 ORDER BY term", (account_id,)
        ).fetchall(),
        "corpus": conn.execute(
            "SELECT docs, round(total_len::numeric, 2) FROM search_corpus WHERE account_id = %s",
            (account_id,),
        ).fetchall(),
    }


def _records(n: int) -> list[HistoryRecord]:
    return [
        HistoryRecord(
            ticket_id=f"B-{i}",
            problem=f"Outlook error 0x8004010F on laptop {i} after the SharePoint sync",
            resolution="Rebuilt the Outlook profile; OST under the 50 GB limit",
            steps=(HistoryStep("Checked the OST size", "49.6 GB", "info"), HistoryStep("New profile")),
            category="Email",
        )
        for i in range(n)
    ]


async def test_batch_indexing_equals_a_full_rebuild(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    report = await service.import_records(db, account.id, _records(5), source="api", batch_size=2)
    assert report.imported == 5
    batched = _index(admin_conn, account.id)
    assert batched["corpus"][0][0] == 5 and len({p[0] for p in batched["postings"]}) == 5
    # The per-session trigger is back to work after the import's transactions: a rerun indexes nothing twice.
    await service.import_records(db, account.id, _records(5), source="api", batch_size=2)
    assert _index(admin_conn, account.id) == batched
    admin_conn.execute("SELECT relaydesk_reindex_account(%s)", (account.id,))
    assert _index(admin_conn, account.id) == batched


async def test_a_priority_column_is_kept_and_checked(db: Database, admin_conn: psycopg.Connection) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    base = {"problem": "VPN drops", "resolution": "Raised the idle timeout"}
    lines = "".join(
        json.dumps({**base, **extra}) + "\n"
        for extra in (
            {"ticket_id": "P-1", "priority": "high"},
            {"ticket_id": "P-2", "priority": "critical"},
            {"ticket_id": "P-3"},
        )
    )
    report = await service.import_records(db, account.id, read_jsonl(io.StringIO(lines)), source="jsonl")
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "priority must be one of low, normal, high, urgent")
    ]
    rows = admin_conn.execute(
        "SELECT ticket_id, priority FROM sessions WHERE account_id = %s ORDER BY ticket_id", (account.id,)
    ).fetchall()
    assert rows == [("P-1", "high"), ("P-3", "normal")]


async def test_an_account_with_indexed_history_can_be_deleted(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    await service.import_records(db, account.id, _records(3), source="api")
    async with db.uow(account.id) as uow:
        await uow.result(text("DELETE FROM accounts WHERE id = :a"), {"a": account.id})
    left = admin_conn.execute(
        "SELECT (SELECT count(*) FROM search_postings WHERE account_id = %(a)s) + "
        "(SELECT count(*) FROM search_terms WHERE account_id = %(a)s)",
        {"a": account.id},
    ).fetchone()
    assert left == (0,)
