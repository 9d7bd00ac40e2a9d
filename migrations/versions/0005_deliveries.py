"""deliveries, reminders (pickup SLA), integrations and integration settings, with RLS

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from relaydesk.db.rls import tenant_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PSA_KINDS = "('connectwise', 'autotask', 'halopsa')"


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("events", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('slack', 'teams', 'webhook', 'connectwise', 'autotask', 'halopsa')",
            name=op.f("ck_integrations_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_integrations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_integrations_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    op.create_index(op.f("ix_integrations_account_id"), "integrations", ["account_id"], unique=False)
    op.create_index(
        "uq_integrations_one_psa",
        "integrations",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text(f"kind IN {PSA_KINDS}"),
    )
    op.create_table(
        "integration_settings",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("pickup_sla_minutes", sa.Float(), server_default=sa.text("15"), nullable=False),
        sa.Column(
            "email_events",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text('\'["escalation", "unclaimed"]\''),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "pickup_sla_minutes >= 0 AND pickup_sla_minutes <= 10080",
            name=op.f("ck_integration_settings_pickup_sla"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_integration_settings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_integration_settings")),
    )
    op.create_table(
        "deliveries",
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("integration_id", sa.UUID(), nullable=True),
        sa.Column("recipient_user_id", sa.UUID(), nullable=True),
        sa.Column("handoff_id", sa.UUID(), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_deliveries_attempts")),
        sa.CheckConstraint(
            "channel IN ('email', 'slack', 'teams', 'webhook', 'psa_note')",
            name=op.f("ck_deliveries_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name=op.f("ck_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_deliveries_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_deliveries_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_deliveries_integration_id_integrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_deliveries_recipient_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_deliveries_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    op.create_index(op.f("ix_deliveries_account_id"), "deliveries", ["account_id"], unique=False)
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'sending', 'failed')"),
    )
    op.create_index("ix_deliveries_handoff", "deliveries", ["handoff_id", "created_at"], unique=False)
    op.create_index("ix_deliveries_integration", "deliveries", ["integration_id"], unique=False)
    op.create_index("ix_deliveries_session", "deliveries", ["session_id", "created_at"], unique=False)
    op.create_table(
        "reminders",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("handoff_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'fired', 'cancelled')", name=op.f("ck_reminders_status")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_reminders_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_reminders_handoff_id_handoffs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_reminders_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reminders_idempotency_key")),
    )
    op.create_index(op.f("ix_reminders_account_id"), "reminders", ["account_id"], unique=False)
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_reminders_handoff", "reminders", ["handoff_id"], unique=False)

    for table in ("integrations", "integration_settings", "deliveries", "reminders"):
        tenant_table(table)

    # The worker finds due work across accounts before it knows the account (as 0001's lookups):
    # SECURITY DEFINER, returning ids only; the worker then claims each row in a transaction
    # scoped to its account, with FOR UPDATE SKIP LOCKED. A `sending` row is due when its
    # lease (next_attempt_at) has run out.
    op.execute(
        """
        CREATE FUNCTION relaydesk_due_deliveries(p_limit integer)
        RETURNS TABLE (delivery_id uuid, account_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT id, account_id FROM deliveries
            WHERE status IN ('pending', 'sending', 'failed') AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT least(greatest(p_limit, 1), 1000)
        $$;
        CREATE FUNCTION relaydesk_due_reminders(p_limit integer)
        RETURNS TABLE (reminder_id uuid, account_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT id, account_id FROM reminders
            WHERE status = 'pending' AND due_at <= now()
            ORDER BY due_at
            LIMIT least(greatest(p_limit, 1), 1000)
        $$;
        """
    )
    for fn in ("relaydesk_due_deliveries(integer)", "relaydesk_due_reminders(integer)"):
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO relaydesk_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS relaydesk_due_reminders(integer)")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_due_deliveries(integer)")
    op.drop_index("ix_reminders_handoff", table_name="reminders")
    op.drop_index("ix_reminders_due", table_name="reminders", postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f("ix_reminders_account_id"), table_name="reminders")
    op.drop_table("reminders")
    op.drop_index("ix_deliveries_session", table_name="deliveries")
    op.drop_index("ix_deliveries_integration", table_name="deliveries")
    op.drop_index("ix_deliveries_handoff", table_name="deliveries")
    op.drop_index(
        "ix_deliveries_due",
        table_name="deliveries",
        postgresql_where=sa.text("status IN ('pending', 'sending', 'failed')"),
    )
    op.drop_index(op.f("ix_deliveries_account_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("integration_settings")
    op.drop_index(
        "uq_integrations_one_psa", table_name="integrations", postgresql_where=sa.text(f"kind IN {PSA_KINDS}")
    )
    op.drop_index(op.f("ix_integrations_account_id"), table_name="integrations")
    op.drop_table("integrations")
