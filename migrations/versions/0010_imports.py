"""imports and feedback: imported history marked with its source and vendor id; verdicts on assessments

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 15:05:00

An imported session is an ordinary resolved session (so the similar-session search, whose trigger fills
`search_document` on resolve, finds it) that carries `import_source` and `import_vendor_id`. The unique
index on (account, source, vendor id) makes a second import of the same row a no-op: the importer inserts
with ON CONFLICT DO NOTHING against it.

Feedback: `assessment_feedback` holds one verdict per escalation (answered by the claimer, or inferred
at resolve), `assessment_helpful` the "this helped" marks on the similar sessions it showed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relaydesk.db.rls import tenant_table

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("import_source", sa.String(length=40), nullable=True))
    op.add_column("sessions", sa.Column("import_vendor_id", sa.String(length=128), nullable=True))
    op.add_column("sessions", sa.Column("import_technician", sa.String(length=200), nullable=True))
    op.add_column("sessions", sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "import_marks",
        "sessions",
        "(import_source IS NULL) = (import_vendor_id IS NULL) "
        "AND (import_source IS NULL) = (imported_at IS NULL)",
    )
    op.create_index(
        "uq_sessions_import",
        "sessions",
        ["account_id", "import_source", "import_vendor_id"],
        unique=True,
        postgresql_where=sa.text("import_source IS NOT NULL"),
    )
    # The search trigger reads a session's steps as the app role, so RLS adds `account_id = <current>`
    # to `session_id = <id>`. Without both in one index the planner may AND the account index in, which
    # reads every step of the account per resolved session (15 ms each at 100k steps: an import of 100k
    # rows went quadratic). With this index the lookup is a single probe.
    op.create_index("ix_steps_session_account", "steps", ["session_id", "account_id"], unique=False)
    op.create_table(
        "import_cursors",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_import_cursors_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "source", name=op.f("pk_import_cursors")),
    )
    tenant_table("import_cursors")
    _feedback()


def _feedback() -> None:
    op.create_table(
        "assessment_feedback",
        sa.Column("handoff_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("engine", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("inferred", sa.Boolean(), nullable=False),
        sa.Column("inferred_score", sa.Float(), nullable=True),
        sa.Column("answered_by_id", sa.UUID(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("cause IN ('yes', 'partly', 'no')", name=op.f("ck_assessment_feedback_cause")),
        sa.CheckConstraint(
            "inferred OR answered_by_id IS NOT NULL", name=op.f("ck_assessment_feedback_answered_by")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_assessment_feedback_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_assessment_feedback_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_assessment_feedback_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_feedback_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("handoff_id", name=op.f("pk_assessment_feedback")),
    )
    op.create_index(
        op.f("ix_assessment_feedback_account_id"), "assessment_feedback", ["account_id"], unique=False
    )
    op.create_index(
        "ix_assessment_feedback_account_engine", "assessment_feedback", ["account_id", "engine"], unique=False
    )
    op.create_table(
        "assessment_helpful",
        sa.Column("handoff_id", sa.UUID(), nullable=False),
        sa.Column("past_session_id", sa.UUID(), nullable=False),
        sa.Column("marked_by_id", sa.UUID(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_assessment_helpful_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_assessment_helpful_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["past_session_id"],
            ["sessions.id"],
            name=op.f("fk_assessment_helpful_past_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_helpful_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("handoff_id", "past_session_id", name=op.f("pk_assessment_helpful")),
    )
    op.create_index(
        op.f("ix_assessment_helpful_account_id"), "assessment_helpful", ["account_id"], unique=False
    )
    op.create_index(
        "ix_assessment_helpful_account_past",
        "assessment_helpful",
        ["account_id", "past_session_id"],
        unique=False,
    )
    for table in ("assessment_feedback", "assessment_helpful"):
        tenant_table(table)


def downgrade() -> None:
    op.drop_index("ix_steps_session_account", table_name="steps")
    op.drop_table("import_cursors")
    op.drop_table("assessment_helpful")
    op.drop_table("assessment_feedback")
    op.drop_index("uq_sessions_import", table_name="sessions")
    op.drop_constraint("ck_sessions_import_marks", "sessions", type_="check")
    for column in ("imported_at", "import_technician", "import_vendor_id", "import_source"):
        op.drop_column("sessions", column)
