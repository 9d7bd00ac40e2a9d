"""Tenant isolation at the database itself (invariant 1): RLS binds the app role on every tenant table."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest
from psycopg import sql

from relaydesk.analytics import service as analytics
from relaydesk.analytics.schemas import BaselineIn
from relaydesk.db.uow import ACCOUNT_SETTING, APP_ROLE, Database
from relaydesk.feedback.models import AssessmentFeedback, HelpfulMark
from relaydesk.imports.models import ImportCursor
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import IntegrationCreate, SettingsUpdate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.models import ModelRun
from tests.factories import (
    escalate,
    login,
    make_account,
    make_attachment,
    make_session,
    make_step,
    make_user,
)


def tenant_tables(conn: psycopg.Connection) -> dict[str, str]:
    """Every table with an account column, and the column that names the account."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND (column_name = 'account_id' OR (table_name = 'accounts' "
        "AND column_name = 'id'))"
    ).fetchall()
    return dict(rows)


async def _populate(db: Database, client) -> tuple:
    a, b = await make_account(db, name="Alpha IT"), await make_account(db, name="Beta IT")
    jane = await make_user(db, a)
    await make_user(db, b)
    admin = await make_user(db, a, role="admin")  # someone to hear of the escalation (a bell item)
    async with db.uow(a.id) as uow:  # per-account settings, an integration and a baseline
        await integrations.update_settings(
            uow, admin.actor, SettingsUpdate(pickup_sla_minutes=15), smtp_configured=False
        )
        await integrations.create_integration(
            uow,
            admin.actor,
            IntegrationCreate(
                kind="webhook", name="n8n", settings={"url": "https://hooks.example/relaydesk"}
            ),
            secret_key="test-secret-key",
        )
        await analytics.set_baseline(
            uow, admin.actor, BaselineIn(baseline_handoff_seconds=300, measured_on=date(2026, 1, 1))
        )
    session = await make_session(db, jane)
    step = await make_step(db, jane, session)
    await make_attachment(db, jane, session, step)  # step_attachments and attachment_chunks
    await login(client, jane.user.email)  # a web session row for A
    # handoff, events, notifications, deliveries (the webhook), the SLA reminder
    handoff = await escalate(db, jane, session)
    # a comment on it (session_comments, migration 0015)
    said = await client.post(
        f"/api/v1/sessions/{session.id}/comments", headers=jane.headers, json={"body": "The user is back"}
    )
    assert said.status_code == 201
    # the summary job (offline engine), suggestions for a second session, and a model run record
    await SummaryQueue(config=None).run_once(db)
    other = await make_session(db, jane, problem="VPN drops every 10 minutes")
    assert (
        await client.post(f"/api/v1/sessions/{other.id}/suggestions", headers=jane.headers)
    ).status_code == 200
    # resolved history: the similar-session search's postings, term counts and corpus row (0007)
    past = await make_session(db, jane, problem="Printer prints blank pages")
    async with db.uow(a.id) as uow:
        await sessions.resolve_session(uow, jane.actor, past.id, ResolveIn(resolution="Replaced the toner."))
    async with db.uow(a.id) as uow:
        uow.add(
            ModelRun(
                account_id=a.id,
                handoff_id=handoff.id,
                purpose="assessment",
                model="openai:test",
                prompt_version="summary-v1",
            )
        )
        # a verdict on the assessment and a "this helped" mark
        uow.add(
            AssessmentFeedback(
                account_id=a.id,
                handoff_id=handoff.id,
                session_id=session.id,
                engine="offline",
                cause="yes",
                inferred=False,
                answered_by_id=jane.user.id,
            )
        )
        uow.add(HelpfulMark(account_id=a.id, handoff_id=handoff.id, past_session_id=other.id))
        # where a PSA import stopped
        uow.add(ImportCursor(account_id=a.id, source="connectwise", position="102", since=datetime.now(UTC)))
    return a, b


async def test_every_tenant_table_has_rls_enabled(admin_conn: psycopg.Connection) -> None:
    tables = tenant_tables(admin_conn)
    assert {
        "accounts",
        "users",
        "sessions",
        "steps",
        "api_tokens",
        "web_sessions",
        "handoffs",
        "events",
        "session_comments",
        "notifications",
    } <= tables.keys()
    for table in tables:
        enabled = admin_conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
        assert enabled == (True,), f"{table} has an account column but no row-level security"
        policies = admin_conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = %s", (table,)
        ).fetchone()
        assert policies[0] >= 1, f"{table} has RLS on but no policy"


async def test_app_role_cannot_bypass_rls(admin_conn: psycopg.Connection) -> None:
    row = admin_conn.execute(
        "SELECT rolbypassrls, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
    ).fetchone()
    assert row == (False, False, False)


async def test_account_b_sees_and_writes_nothing_of_account_a(
    db: Database, client, admin_conn: psycopg.Connection, database_url: str
) -> None:
    a, b = await _populate(db, client)
    tables = tenant_tables(admin_conn)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")  # session-wide, outside any transaction, as the app does
        conn.autocommit = False
        for table, key in tables.items():
            a_rows = admin_conn.execute(
                sql.SQL("SELECT row_to_json(t) FROM {} t WHERE {} = %s").format(
                    sql.Identifier(table), sql.Identifier(key)
                ),
                (a.id,),
            ).fetchall()
            assert a_rows, f"the fixture made no {table} row for account A; extend _populate"

            conn.execute("SELECT set_config(%s, %s, true)", (ACCOUNT_SETTING, str(b.id)))
            seen = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
                    sql.Identifier(table), sql.Identifier(key)
                ),
                (a.id,),
            ).fetchone()
            assert seen == (0,), f"account B can read account A's {table}"
            everything = conn.execute(
                sql.SQL("SELECT {} FROM {}").format(sql.Identifier(key), sql.Identifier(table))
            ).fetchall()
            assert all(r[0] == b.id for r in everything), table

            # Writing a row that belongs to A, while scoped to B, is refused by the policy.
            forged = dict(a_rows[0][0])
            if key != "id" and "id" in forged:
                forged["id"] = (
                    10**12 + uuid.uuid4().int % 10**6 if isinstance(forged["id"], int) else str(uuid.uuid4())
                )
            if "token_hash" in forged:
                forged["token_hash"] = uuid.uuid4().hex
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(
                    sql.SQL("INSERT INTO {} SELECT * FROM json_populate_record(NULL::{}, %s)").format(
                        sql.Identifier(table), sql.Identifier(table)
                    ),
                    (json.dumps(forged),),
                )
            conn.rollback()

            # Unscoped (no account set), the app role sees nothing at all.
            nothing = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            assert nothing == (0,), table
            conn.rollback()
