"""Bell items."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin

STATES = ("actionable", "taken", "withdrawn", "info")


class Notification(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state"),
        Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
        Index("ix_notifications_handoff", "handoff_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))
    handoff_id: Mapped[uuid.UUID | None]
    session_id: Mapped[uuid.UUID | None]
    # Whether the item still asks for action: an escalation item becomes `taken` or `withdrawn`.
    state: Mapped[str] = mapped_column(String(12), default="info")
    read_at: Mapped[datetime | None]
