"""Tables of the deliveries domain: outbound messages and scheduled reminders (invariant 8).

The pending rows are the queue: a worker takes due ones with FOR UPDATE SKIP LOCKED, so
enqueueing is just an INSERT in the caller's transaction and a rollback sends nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

CHANNELS = ("email", "slack", "teams", "webhook", "psa_note")
STATUSES = ("pending", "sending", "sent", "failed", "dead")
# Rows a worker may take once `next_attempt_at` has passed. For `sending` rows that time is the
# end of the sender's lease: past it, the sender is presumed dead and the row is tried again.
DUE_STATUSES = ("pending", "sending", "failed")
REMINDER_STATUSES = ("pending", "fired", "cancelled")


class Delivery(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text(f"status IN {DUE_STATUSES}")),
        Index("ix_deliveries_handoff", "handoff_id", "created_at"),
        Index("ix_deliveries_session", "session_id", "created_at"),
        Index("ix_deliveries_integration", "integration_id"),
    )

    channel: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(40))
    # Shown to people: an address, "Slack · #escalations", "ConnectWise ticket 4711". Never a URL.
    target: Mapped[str] = mapped_column(String(320))
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handoff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # What the message says, redacted before it was stored (invariant 7); rendered per channel.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # None: the worker's configured limit (settings.delivery_max_attempts).
    max_attempts: Mapped[int | None]
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    # The attempt whose email reached the DATA command: from then on the SMTP server may have it even
    # when the attempt never recorded the reply, so a retry of that attempt is an uncertain resend.
    data_attempt: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)


class Reminder(IdMixin, TenantMixin, TimestampMixin, Base):
    """A message due later: the pickup SLA reminder. A row, not a sleeping task, so a restart keeps it."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(f"status IN {REMINDER_STATUSES}", name="status"),
        Index("ix_reminders_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_reminders_handoff", "handoff_id"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    handoff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default=text("'pending'"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # `sla:<handoff>:<level>`: one reminder per escalation per SLA level.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fired_at: Mapped[datetime | None]
