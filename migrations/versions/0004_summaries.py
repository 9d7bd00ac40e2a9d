"""summaries: job bookkeeping, model runs, workspace suggestions, full-text search over resolved sessions

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 14:08:28.797412

The similar-session search reads `sessions.search_document`, a weighted tsvector (problem A, resolution B,
category and every step's action and result C) kept only for resolved sessions, under a partial GIN
index. A BEFORE trigger keeps it: it is computed when a session becomes resolved (or its problem,
category or resolution change while resolved) and cleared otherwise. A trigger rather than service code
so that no path that resolves a session (API, pages, demo seed, a future import) can leave history
unsearchable; steps are only added to active sessions, so a resolved session's steps do not change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from relaydesk.db.rls import tenant_table

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_jobs",
        sa.Column("handoff_id", sa.UUID(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_call_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_summary_jobs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_summary_jobs_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("handoff_id", name=op.f("pk_summary_jobs")),
    )
    op.create_index(op.f("ix_summary_jobs_account_id"), "summary_jobs", ["account_id"], unique=False)

    op.create_table(
        "model_runs",
        sa.Column("handoff_id", sa.UUID(), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("requested_by_id", sa.UUID(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_version", sa.String(length=40), nullable=False),
        sa.Column("input_text", sa.Text(), nullable=False),
        sa.Column("raw_output", sa.Text(), nullable=True),
        sa.Column("parsed", sa.Boolean(), nullable=False),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('assessment', 'client_update', 'email_draft', 'suggestions')",
            name=op.f("ck_model_runs_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_model_runs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_model_runs_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_model_runs_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_model_runs_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_runs")),
    )
    op.create_index("ix_model_runs_account_created", "model_runs", ["account_id", "created_at"], unique=False)
    op.create_index("ix_model_runs_handoff", "model_runs", ["handoff_id", "created_at"], unique=False)
    op.create_index(
        "ix_model_runs_requester", "model_runs", ["requested_by_id", "purpose", "created_at"], unique=False
    )

    op.create_table(
        "session_suggestions",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("requested_by_id", sa.UUID(), nullable=True),
        sa.Column("engine", sa.String(length=200), nullable=False),
        sa.Column("suggestions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_session_suggestions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_session_suggestions_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_suggestions_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_suggestions")),
    )
    op.create_index(
        op.f("ix_session_suggestions_account_id"), "session_suggestions", ["account_id"], unique=False
    )

    for table in ("summary_jobs", "model_runs", "session_suggestions"):
        tenant_table(table)

    # --- full-text search over resolved sessions -------------------------------------------------------
    op.add_column("sessions", sa.Column("search_document", postgresql.TSVECTOR(), nullable=True))
    op.execute(
        """
        CREATE FUNCTION relaydesk_search_document(
            p_session_id uuid, p_problem text, p_category text, p_resolution text
        ) RETURNS tsvector
        LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
            SELECT setweight(to_tsvector('english', coalesce(p_problem, '')), 'A')
                || setweight(to_tsvector('english', coalesce(p_resolution, '')), 'B')
                || setweight(to_tsvector('english', coalesce(p_category, '') || ' ' || coalesce(
                       (SELECT string_agg(st.action || ' ' || coalesce(st.result, ''), ' '
                                          ORDER BY st.created_at, st.id)
                        FROM steps st WHERE st.session_id = p_session_id), '')), 'C')
        $$;

        CREATE FUNCTION relaydesk_sessions_search_document() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'resolved' THEN
                NEW.search_document := relaydesk_search_document(
                    NEW.id, NEW.problem_summary, NEW.category, NEW.resolution);
            ELSE
                NEW.search_document := NULL;
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    op.execute(
        "UPDATE sessions SET search_document = "
        "relaydesk_search_document(id, problem_summary, category, resolution) WHERE status = 'resolved'"
    )
    op.execute(
        """
        CREATE TRIGGER sessions_search_document
        BEFORE INSERT OR UPDATE OF status, problem_summary, category, resolution ON sessions
        FOR EACH ROW EXECUTE FUNCTION relaydesk_sessions_search_document();
        """
    )
    op.create_index(
        "ix_sessions_search",
        "sessions",
        ["search_document"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text("status = 'resolved'"),
    )

    # --- the worker's queue across accounts -------------------------------------------------------------
    # RLS binds the app role to one account per transaction; the worker must first learn which
    # accounts have due summaries. Ids only; the worker then locks each row inside its account.
    op.execute(
        """
        CREATE FUNCTION relaydesk_due_summaries(p_limit integer, p_with_drafts boolean)
        RETURNS TABLE (handoff_id uuid, account_id uuid, summary_state text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT h.id, h.account_id, h.summary_state::text
            FROM handoffs h
            LEFT JOIN summary_jobs j ON j.handoff_id = h.id
            WHERE h.summary_state <> 'ready'
              AND (p_with_drafts OR h.summary_state = 'pending')
              AND (j.lease_until IS NULL OR j.lease_until < now())
            -- New escalations first: drafts waiting for a free model-call slot never hold up a draft.
            ORDER BY h.summary_state = 'pending' DESC, h.created_at
            LIMIT p_limit
        $$;
        REVOKE ALL ON FUNCTION relaydesk_due_summaries(integer, boolean) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION relaydesk_due_summaries(integer, boolean) TO relaydesk_app;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS relaydesk_due_summaries(integer, boolean)")
    op.drop_index(
        "ix_sessions_search", table_name="sessions", postgresql_where=sa.text("status = 'resolved'")
    )
    op.execute("DROP TRIGGER IF EXISTS sessions_search_document ON sessions")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_sessions_search_document()")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_search_document(uuid, text, text, text)")
    op.drop_column("sessions", "search_document")
    op.drop_index(op.f("ix_session_suggestions_account_id"), table_name="session_suggestions")
    op.drop_table("session_suggestions")
    op.drop_index("ix_model_runs_requester", table_name="model_runs")
    op.drop_index("ix_model_runs_handoff", table_name="model_runs")
    op.drop_index("ix_model_runs_account_created", table_name="model_runs")
    op.drop_table("model_runs")
    op.drop_index(op.f("ix_summary_jobs_account_id"), table_name="summary_jobs")
    op.drop_table("summary_jobs")
