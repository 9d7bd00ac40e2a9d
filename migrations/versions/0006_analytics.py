"""analytics: the account's measured baseline, and the indexes the escalation metrics read through

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:03:23.969632
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relaydesk.db.rls import tenant_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_baselines",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("baseline_handoff_seconds", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("set_by_id", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "baseline_handoff_seconds > 0 AND baseline_handoff_seconds <= 86400",
            name=op.f("ck_analytics_baselines_baseline_seconds"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_analytics_baselines_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["users.id"],
            name=op.f("fk_analytics_baselines_set_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_analytics_baselines")),
    )
    tenant_table("analytics_baselines")
    # Escalations of one account in a date range (the metrics' outer scan).
    op.create_index(
        "ix_handoffs_escalations_created",
        "handoffs",
        ["account_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("intent = 'escalate'"),
    )
    # The claimer's first step after the claim: one index-only probe per claimed handoff
    # (account_id included so the row-level security check needs no heap visit).
    op.create_index(
        "ix_steps_session_author_created",
        "steps",
        ["session_id", "author_id", "created_at"],
        unique=False,
        postgresql_include=["account_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_steps_session_author_created", table_name="steps")
    op.drop_index("ix_handoffs_escalations_created", table_name="handoffs")
    op.drop_table("analytics_baselines")
