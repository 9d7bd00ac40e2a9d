"""redaction: what a model run's prompt left out to stay within the size limit

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("model_runs", sa.Column("prompt_cut", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("model_runs", "prompt_cut")
