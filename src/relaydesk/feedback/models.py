"""Tables of feedback: one verdict per escalation, and "this helped" marks on its similar sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, TenantMixin, utcnow

VERDICTS = ("yes", "partly", "no")


class AssessmentFeedback(TenantMixin, Base):
    """The verdict on one escalation's assessment: answered by the claimer, or inferred at resolve.

    `engine` is the summary's engine when the verdict was recorded ("offline" or the model name), so
    accuracy can be told apart by engine. An inferred verdict keeps the similarity it was judged on.
    """

    __tablename__ = "assessment_feedback"
    __table_args__ = (
        CheckConstraint(f"cause IN {VERDICTS}", name="cause"),
        CheckConstraint("inferred OR answered_by_id IS NOT NULL", name="answered_by"),
        Index("ix_assessment_feedback_account_engine", "account_id", "engine"),
    )

    handoff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    engine: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(String(10))
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    inferred_score: Mapped[float | None] = mapped_column(Float)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpfulMark(TenantMixin, Base):
    """ "This helped": a similar past session that helped with an escalation, marked by whom and when."""

    __tablename__ = "assessment_helpful"
    __table_args__ = (Index("ix_assessment_helpful_account_past", "account_id", "past_session_id"),)

    handoff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True
    )
    past_session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    marked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
