"""The event log: append-only, per-account ordered; the source of live updates and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # Per-account position, taken under a transaction-scoped advisory lock so positions
        # commit in order (invariant 6): a reader never sees seq N+1 before N.
        UniqueConstraint("account_id", "seq", name="uq_events_account_seq"),
        Index("ix_events_session", "session_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    session_id: Mapped[uuid.UUID | None]
    handoff_id: Mapped[uuid.UUID | None]
    # When set, only this user may receive the event (a bell item, a private park).
    audience_user_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
