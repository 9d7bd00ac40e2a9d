"""imports: a PSA import asked for on the settings page is durable work for the worker

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:50:00

The request is the account's cursor row (import_cursors, one per account and source): `requested_at`
set means "to do", with the window (`requested_months`) and who asked. A worker takes it with a lease
(`lease_until`, renewed after every page), so a worker that died leaves it to another once the lease
runs out; the cursor's `position` makes that other continue, never duplicate. `last_error` is the short
reason a run stopped, shown on the page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_cursors", sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("import_cursors", sa.Column("requested_months", sa.Integer(), nullable=True))
    op.add_column("import_cursors", sa.Column("requested_by_id", sa.UUID(), nullable=True))
    op.add_column("import_cursors", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("import_cursors", sa.Column("last_error", sa.String(length=300), nullable=True))
    # The worker learns which accounts have a requested import before it can enter one (RLS binds the
    # app role to one account per transaction): ids only, as 0005's due lookups.
    op.execute(
        """
        CREATE FUNCTION relaydesk_due_psa_imports(p_limit integer)
        RETURNS TABLE (account_id uuid, source text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT c.account_id, c.source::text FROM import_cursors c
            WHERE c.requested_at IS NOT NULL AND (c.lease_until IS NULL OR c.lease_until < now())
            ORDER BY c.requested_at
            LIMIT p_limit
        $$;
        REVOKE ALL ON FUNCTION relaydesk_due_psa_imports(integer) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION relaydesk_due_psa_imports(integer) TO relaydesk_app;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS relaydesk_due_psa_imports(integer)")
    for column in ("last_error", "lease_until", "requested_by_id", "requested_months", "requested_at"):
        op.drop_column("import_cursors", column)
