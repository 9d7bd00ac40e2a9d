"""handoffs, events and bell notifications, with RLS

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:49:47.997498
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from relaydesk.db.rls import tenant_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("handoff_id", sa.UUID(), nullable=True),
        sa.Column("audience_user_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_events_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("account_id", "seq", name="uq_events_account_seq"),
    )
    op.create_index("ix_events_session", "events", ["session_id", "seq"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("handoff_id", sa.UUID(), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('actionable', 'taken', 'withdrawn', 'info')", name=op.f("ck_notifications_state")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_account_id"), "notifications", ["account_id"], unique=False)
    op.create_index("ix_notifications_handoff", "notifications", ["handoff_id"], unique=False)
    op.create_index(
        "ix_notifications_user_unread", "notifications", ["user_id", "read_at", "created_at"], unique=False
    )
    op.create_table(
        "handoffs",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("intent", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("target_user_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("claimed_by_id", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.UUID(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_state", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("intent IN ('escalate', 'park')", name=op.f("ck_handoffs_intent")),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'withdrawn', 'parked', 'resumed', 'closed')",
            name=op.f("ck_handoffs_status"),
        ),
        sa.CheckConstraint(
            "summary_state IN ('pending', 'draft', 'ready')", name=op.f("ck_handoffs_summary_state")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_handoffs_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"], ["users.id"], name=op.f("fk_handoffs_claimed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_handoffs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["users.id"], name=op.f("fk_handoffs_released_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_handoffs_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"], ["users.id"], name=op.f("fk_handoffs_target_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_account_id"), "handoffs", ["account_id"], unique=False)
    op.create_index("ix_handoffs_queue", "handoffs", ["account_id", "status", "created_at"], unique=False)
    op.create_index("ix_handoffs_session", "handoffs", ["session_id", "created_at"], unique=False)
    op.create_index(
        "ix_handoffs_summary_pending",
        "handoffs",
        ["summary_state"],
        unique=False,
        postgresql_where=sa.text("summary_state <> 'ready'"),
    )

    for table in ("handoffs", "events", "notifications"):
        tenant_table(table)
    op.execute("GRANT USAGE ON SEQUENCE events_id_seq TO relaydesk_app")


def downgrade() -> None:
    op.drop_index(
        "ix_handoffs_summary_pending",
        table_name="handoffs",
        postgresql_where=sa.text("summary_state <> 'ready'"),
    )
    op.drop_index("ix_handoffs_session", table_name="handoffs")
    op.drop_index("ix_handoffs_queue", table_name="handoffs")
    op.drop_index(op.f("ix_handoffs_account_id"), table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    op.drop_index("ix_notifications_handoff", table_name="notifications")
    op.drop_index(op.f("ix_notifications_account_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_events_session", table_name="events")
    op.drop_table("events")
