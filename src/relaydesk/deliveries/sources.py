"""Read-only looks at the handoff or session a delivery is about.

deliveries never imports handoffs or sessions (imports go one way, STYLE 6); what it needs from
them is small and stable: whether a handoff is still open and its summary (`summary_state`, and
the ticket note and likely cause of the `Summary` in `summary`, read by `Summary.read`, the one
reader of that column). Those columns are read here, in one place, with plain SQL under the
transaction's account (RLS applies).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from relaydesk.db.uow import UnitOfWork
from relaydesk.redaction import redact
from relaydesk.summaries.schemas import Summary


@dataclass(frozen=True, slots=True)
class SummaryView:
    state: str  # pending | draft | ready
    ticket_note: str | None
    likely_cause: str | None

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def _view(state: str, stored: object) -> SummaryView:
    summary = Summary.read(stored)

    def clean(value: str | None) -> str | None:
        # Redacted again: the summary is model output, and redacting twice equals once.
        return redact(value.strip()) if value and value.strip() else None

    if summary is None:
        return SummaryView(state, None, None)
    return SummaryView(state, clean(summary.ticket_note), clean(summary.likely_cause))


async def handoff_summary(uow: UnitOfWork, handoff_id: uuid.UUID) -> SummaryView | None:
    row = (
        await uow.result(
            text("SELECT summary_state, summary FROM handoffs WHERE id = :id AND account_id = :a"),
            {"id": handoff_id, "a": uow.account_id},
        )
    ).first()
    return _view(row[0], row[1]) if row else None


async def handoff_status(uow: UnitOfWork, handoff_id: uuid.UUID) -> str | None:
    return await uow.scalar(
        text("SELECT status FROM handoffs WHERE id = :id AND account_id = :a"),
        {"id": handoff_id, "a": uow.account_id},
    )


async def latest_session_summary(uow: UnitOfWork, session_id: uuid.UUID) -> SummaryView | None:
    """The summary of the session's latest escalation, if it has one."""
    row = (
        await uow.result(
            text(
                "SELECT summary_state, summary FROM handoffs "
                "WHERE session_id = :id AND account_id = :a AND intent = 'escalate' AND summary IS NOT NULL "
                "ORDER BY created_at DESC LIMIT 1"
            ),
            {"id": session_id, "a": uow.account_id},
        )
    ).first()
    return _view(row[0], row[1]) if row else None


async def exists(uow: UnitOfWork, *, handoff_id: uuid.UUID | None, session_id: uuid.UUID | None) -> bool:
    """Whether the handoff/session is one of this account's (RLS scopes the read)."""
    if handoff_id is not None and not await uow.scalar(
        text("SELECT 1 FROM handoffs WHERE id = :id AND account_id = :a"),
        {"id": handoff_id, "a": uow.account_id},
    ):
        return False
    if session_id is not None and not await uow.scalar(
        text("SELECT 1 FROM sessions WHERE id = :id AND account_id = :a"),
        {"id": session_id, "a": uow.account_id},
    ):
        return False
    return True
