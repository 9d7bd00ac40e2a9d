"""Tables of analytics: the account's measured baseline, and the indexes the metrics read through."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, utcnow
from relaydesk.handoffs.models import Handoff
from relaydesk.sessions.models import Step

MAX_BASELINE_SECONDS = 86_400


class AnalyticsBaseline(Base):
    """The stopwatch time of a verbal handoff, as the account measured it: one row per account.

    "Minutes recovered" is only ever shown against this figure, never invented.
    """

    __tablename__ = "analytics_baselines"
    __table_args__ = (
        CheckConstraint(
            f"baseline_handoff_seconds > 0 AND baseline_handoff_seconds <= {MAX_BASELINE_SECONDS}",
            name="baseline_seconds",
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    baseline_handoff_seconds: Mapped[int]
    measured_on: Mapped[date]
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)


# The metrics' read paths, declared here (on the other domains' tables) so the metadata matches
# the database and autogenerate never proposes dropping them. Created in migration 0006.
# Escalations of one account in a date range:
Index(
    "ix_handoffs_escalations_created",
    Handoff.account_id,
    Handoff.created_at,
    postgresql_where=text("intent = 'escalate'"),
)
# The claimer's first step after a claim: one index probe per claimed handoff. account_id rides
# along so the row-level security check needs no heap visit (index-only scan).
Index(
    "ix_steps_session_author_created",
    Step.session_id,
    Step.author_id,
    Step.created_at,
    postgresql_include=["account_id"],
)
