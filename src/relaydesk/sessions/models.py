"""Tables of the sessions domain. "Session" is always a troubleshooting session here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("active", "parked", "escalated", "resolved")
OUTCOMES = ("fixed", "failed", "partial", "info")


class Session(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("length(btrim(problem_summary)) > 0", name="problem_summary"),
        Index("ix_sessions_account_status", "account_id", "status"),
        # Imported history (migration 0010): all three marks or none; one row per vendor ticket.
        CheckConstraint(
            "(import_source IS NULL) = (import_vendor_id IS NULL) "
            "AND (import_source IS NULL) = (imported_at IS NULL)",
            name="import_marks",
        ),
        Index(
            "uq_sessions_import",
            "account_id",
            "import_source",
            "import_vendor_id",
            unique=True,
            postgresql_where=text("import_source IS NOT NULL"),
        ),
        Index(
            "ix_sessions_search",
            "search_document",
            postgresql_using="gin",
            postgresql_where=text("status = 'resolved'"),
        ),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    problem_summary: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    client_name: Mapped[str | None] = mapped_column(String(200))
    # The client's contact, for the client update and the email draft (migration 0007).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    ticket_id: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(12), default="active")
    resolution: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    # Kept by a database trigger when the session resolves (migration 0004); read by the similar-
    # session search. Deferred: nothing else needs it loaded.
    search_document: Mapped[Any | None] = mapped_column(TSVECTOR, deferred=True)
    # Set only on sessions brought in by an import (relaydesk.imports): where from, and its id there.
    import_source: Mapped[str | None] = mapped_column(String(40))
    import_vendor_id: Mapped[str | None] = mapped_column(String(128))
    import_technician: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[datetime | None]


class Step(IdMixin, TenantMixin, TimestampMixin, Base):
    """One thing done and what happened. A note is a step with outcome `info` and no result."""

    __tablename__ = "steps"
    __table_args__ = (
        CheckConstraint(f"outcome IN {OUTCOMES}", name="outcome"),
        CheckConstraint("length(btrim(action)) > 0", name="action"),
        Index("ix_steps_session_created", "session_id", "created_at"),
        # The search trigger reads a session's steps under RLS: one probe (migration 0010).
        Index("ix_steps_session_account", "session_id", "account_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))
    # Set when its author corrected it (migration 0015); the before/after is a `step.edited` event.
    edited_at: Mapped[datetime | None]

    @property
    def is_note(self) -> bool:
        return self.outcome == "info" and not self.result


class SessionComment(IdMixin, TenantMixin, TimestampMixin, Base):
    """A remark on a session by anyone who may read it: the escalator, the claimer, teammates. With
    `step_id` it is a reply to that step (and the step can then be edited, not deleted)."""

    __tablename__ = "session_comments"
    __table_args__ = (
        CheckConstraint("length(btrim(body)) > 0", name="body"),
        # the list's keyset order, and whether a step has replies
        Index("ix_session_comments_session_created", "session_id", "created_at", "id"),
        Index("ix_session_comments_step", "step_id", postgresql_where=text("step_id IS NOT NULL")),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("steps.id"))
