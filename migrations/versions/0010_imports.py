"""imports: resolved history brought in from a file or the account's PSA, marked with its source and vendor id

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 15:05:00

An imported session is an ordinary resolved session (so the similar-session search, whose trigger fills
`search_document` on resolve, finds it) that carries `import_source` and `import_vendor_id`. The unique
index on (account, source, vendor id) makes a second import of the same row a no-op: the importer inserts
with ON CONFLICT DO NOTHING against it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("import_source", sa.String(length=40), nullable=True))
    op.add_column("sessions", sa.Column("import_vendor_id", sa.String(length=128), nullable=True))
    op.add_column("sessions", sa.Column("import_technician", sa.String(length=200), nullable=True))
    op.add_column("sessions", sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "import_marks",
        "sessions",
        "(import_source IS NULL) = (import_vendor_id IS NULL) "
        "AND (import_source IS NULL) = (imported_at IS NULL)",
    )
    op.create_index(
        "uq_sessions_import",
        "sessions",
        ["account_id", "import_source", "import_vendor_id"],
        unique=True,
        postgresql_where=sa.text("import_source IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_sessions_import", table_name="sessions")
    op.drop_constraint("ck_sessions_import_marks", "sessions", type_="check")
    for column in ("imported_at", "import_technician", "import_vendor_id", "import_source"):
        op.drop_column("sessions", column)
