"""house: a one-shot flash on the web session (a secret shown once after a redirect)

Revision ID: 0011
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sealed with the secret key (invariant 7): it can hold a webhook's signing secret for the one
    # page view after the form that made it.
    op.add_column("web_sessions", sa.Column("flash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("web_sessions", "flash")
