"""service: which delivery attempt handed its email to the SMTP server (DATA), to tell uncertain resends

Revision ID: 0012
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("data_attempt", sa.Integer(), nullable=True))
    # /metrics counts unfinished work across accounts: SECURITY DEFINER (as 0005's due lookups),
    # returning counts and ages only, never a row.
    op.execute(
        """
        CREATE FUNCTION relaydesk_queue_stats()
        RETURNS TABLE (queue text, channel text, status text, n bigint, oldest_seconds double precision)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT 'deliveries', channel::text, status::text, count(*),
                   extract(epoch FROM now() - min(created_at))::float8
            FROM deliveries WHERE status IN ('pending', 'sending', 'failed')
            GROUP BY channel, status
            UNION ALL
            SELECT 'summaries', '', summary_state::text, count(*),
                   extract(epoch FROM now() - min(created_at))::float8
            FROM handoffs WHERE summary_state <> 'ready'
            GROUP BY summary_state
        $$;
        REVOKE ALL ON FUNCTION relaydesk_queue_stats() FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION relaydesk_queue_stats() TO relaydesk_app;
        GRANT SELECT ON alembic_version TO relaydesk_app;
        """
    )


def downgrade() -> None:
    op.execute("REVOKE SELECT ON alembic_version FROM relaydesk_app")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_queue_stats()")
    op.drop_column("deliveries", "data_attempt")
