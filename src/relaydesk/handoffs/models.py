"""Handoffs: a transfer of a session, with its snapshot, claim and summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

INTENTS = ("escalate", "park")
STATUSES = ("open", "claimed", "withdrawn", "parked", "resumed", "closed")
SUMMARY_STATES = ("pending", "draft", "ready")


class Handoff(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(f"intent IN {INTENTS}", name="intent"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"summary_state IN {SUMMARY_STATES}", name="summary_state"),
        Index("ix_handoffs_queue", "account_id", "status", "created_at"),
        Index("ix_handoffs_session", "session_id", "created_at"),
        # The worker's queue of summaries still to make.
        Index(
            "ix_handoffs_summary_pending", "summary_state", postgresql_where=text("summary_state <> 'ready'")
        ),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    intent: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    claimed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    first_claimed_at: Mapped[datetime | None]
    # the current claimer's first step after the claim (handoffs/first_action.py); None until then
    first_action_at: Mapped[datetime | None]
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None]
    release_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    release_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]

    summary_state: Mapped[str] = mapped_column(
        String(10), default="pending", server_default=text("'pending'")
    )
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
