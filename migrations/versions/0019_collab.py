"""working a handoff together: comments on a session, corrected steps

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 18:20:00

`session_comments` holds the conversation on a session (escalator, claimer, teammates), optionally a
reply to one step. A step its author corrected carries `edited_at`; the before and after are a
`step.edited` event in the audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relaydesk.db.rls import tenant_table

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("steps", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "session_comments",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("step_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(body)) > 0", name=op.f("ck_session_comments_body")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_session_comments_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_session_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_session_comments_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["step_id"], ["steps.id"], name=op.f("fk_session_comments_step_id_steps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_comments")),
    )
    op.create_index(op.f("ix_session_comments_account_id"), "session_comments", ["account_id"], unique=False)
    op.create_index(
        "ix_session_comments_session_created", "session_comments", ["session_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_session_comments_step",
        "session_comments",
        ["step_id"],
        unique=False,
        postgresql_where=sa.text("step_id IS NOT NULL"),
    )
    tenant_table("session_comments")


def downgrade() -> None:
    op.drop_table("session_comments")
    op.drop_column("steps", "edited_at")
