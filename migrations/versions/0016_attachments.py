"""attachments: files on a step, their bytes in chunks, both under RLS

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 18:20:00

`step_attachments` is one row per file (name, the content type decided by its bytes, size, SHA-256,
who uploaded it); `attachment_chunks` holds the bytes in pieces of 256 KiB, written while the upload
is read and read back one at a time while a download streams (relaydesk/attachments/storage.py).
Both carry `account_id` with the tenant policy (invariant 1).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relaydesk.db.rls import tenant_table

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

CONTENT_TYPES = "('image/png', 'image/jpeg', 'image/webp', 'image/gif', 'text/plain', 'application/octet-stream')"


def upgrade() -> None:
    op.create_table(
        "step_attachments",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("step_id", sa.UUID(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"content_type IN {CONTENT_TYPES}", name=op.f("ck_step_attachments_content_type")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_step_attachments_size")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_step_attachments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_step_attachments_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["steps.id"], name=op.f("fk_step_attachments_step_id_steps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_step_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_attachments")),
    )
    op.create_index(
        op.f("ix_step_attachments_account_id"), "step_attachments", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_step_attachments_step_id"), "step_attachments", ["step_id"], unique=False)
    op.create_index(
        "ix_step_attachments_session", "step_attachments", ["session_id", "account_id"], unique=False
    )
    tenant_table("step_attachments")

    op.create_table(
        "attachment_chunks",
        sa.Column("attachment_id", sa.UUID(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_attachment_chunks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["step_attachments.id"],
            name=op.f("fk_attachment_chunks_attachment_id_step_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", "n", name=op.f("pk_attachment_chunks")),
    )
    op.create_index(
        op.f("ix_attachment_chunks_account_id"), "attachment_chunks", ["account_id"], unique=False
    )
    tenant_table("attachment_chunks")


def downgrade() -> None:
    op.drop_table("attachment_chunks")
    op.drop_table("step_attachments")
