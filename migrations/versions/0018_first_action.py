"""handoffs: first_action_at, the claimer's first step after the current claim

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 18:10:00

Written in the transaction of that step (sessions/service.py `add_step`, through
handoffs/first_action.py), cleared by a release, so analytics' time to first action is an aggregate
over `handoffs` alone instead of a probe of `steps` per claimed escalation. Existing rows are
back-filled by the rule the report used until now: the current claimer's first step on the session
at or after the latest of the claim, the escalation and the last release, less 30 s of clock drift
between replicas.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

# Kept here as written (a landed migration never changes); tests/analytics/conftest.py runs it on
# rows made the old way.
BACKFILL_SQL = """
UPDATE handoffs h
SET first_action_at = (
    SELECT min(st.created_at)
    FROM steps st
    WHERE st.account_id = h.account_id
      AND st.session_id = h.session_id
      AND st.author_id = h.claimed_by_id
      AND st.created_at >= GREATEST(h.claimed_at, h.created_at, h.released_at) - interval '30 seconds'
)
WHERE h.intent = 'escalate' AND h.claimed_at IS NOT NULL AND h.claimed_by_id IS NOT NULL
  AND h.first_action_at IS NULL
"""


def upgrade() -> None:
    op.add_column("handoffs", sa.Column("first_action_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL_SQL)


def downgrade() -> None:
    op.drop_column("handoffs", "first_action_at")
