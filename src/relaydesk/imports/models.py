"""The cursor of a PSA import: where a stopped import picks up again (one row per account and source)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, utcnow


class ImportCursor(Base):
    """`position` is the vendor's keyset position after the last page committed (None: from the start);
    `finished_at` is set when a run reached the end, so the next run starts from the beginning again
    (and, idempotent by vendor id, imports only what is new)."""

    __tablename__ = "import_cursors"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    imported: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    # A run asked for on the settings page (migration 0014): the worker's to do while requested_at is set.
    requested_at: Mapped[datetime | None]
    requested_months: Mapped[int | None]
    requested_by_id: Mapped[uuid.UUID | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
