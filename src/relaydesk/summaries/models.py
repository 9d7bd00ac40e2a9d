"""Tables of the summaries domain: the job state of each handoff's summary, model runs, suggestions.

The summary itself lives on the handoff (`handoffs.summary`, `handoffs.summary_state`); what the worker
needs to make it durably (attempts, the lease, whether a model call was started) lives here, so the
handoff row carries only what readers need.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

PURPOSES = ("assessment", "client_update", "email_draft", "suggestions")


class SummaryJob(TenantMixin, Base):
    """The worker's bookkeeping for one handoff's summary; made by the first worker that takes it."""

    __tablename__ = "summary_jobs"

    handoff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # While set and in the future, a worker is calling the model for this handoff; nobody else may.
    lease_until: Mapped[datetime | None]
    # Set (and committed) before the model request leaves: a later worker that finds it set knows a
    # call may have been made and does not make a second one (invariant 5).
    model_call_started_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)


class ModelRun(IdMixin, TenantMixin, TimestampMixin, Base):
    """One call to a model: what was sent (redacted), what came back, and what it cost."""

    __tablename__ = "model_runs"
    __table_args__ = (
        CheckConstraint(f"purpose IN {PURPOSES}", name="purpose"),
        Index("ix_model_runs_handoff", "handoff_id", "created_at"),
        Index("ix_model_runs_account_created", "account_id", "created_at"),
        # The per-user rate limit of model suggestions reads this.
        Index("ix_model_runs_requester", "requested_by_id", "purpose", "created_at"),
    )

    # Not TenantMixin's single-column index: ix_model_runs_account_created serves every account query.
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))

    handoff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(40))
    input_text: Mapped[str] = mapped_column(Text, default="")
    raw_output: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[bool] = mapped_column(default=False)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # What was left out of the material to keep the prompt within the size limit, if anything.
    prompt_cut: Mapped[str | None] = mapped_column(Text)


class SessionSuggestions(TenantMixin, Base):
    """The suggestions last shown in a session's workspace, so the senior who picks it up sees them."""

    __tablename__ = "session_suggestions"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    engine: Mapped[str] = mapped_column(String(200))
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
