"""The claimer's first action: stamped on the handoff in the transaction of their first step.

A leaf (the table and the unit of work), so the sessions service can call it when a step is added
without importing the handoff services. Analytics reads `first_action_at` as one column instead of
looking for the step (migration 0018 back-filled the rows from before).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text, update

from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs.models import Handoff


async def record(uow: UnitOfWork, session_id: uuid.UUID, author_id: uuid.UUID, at: datetime) -> None:
    """`at` becomes the first action of the session's claimed escalation when `author_id` holds the
    claim and it has none yet; any other step (the escalator's, a second one) changes nothing."""
    await uow.execute(
        update(Handoff)
        .where(
            Handoff.session_id == session_id,
            Handoff.intent == "escalate",
            Handoff.status == "claimed",
            Handoff.claimed_by_id == author_id,
            Handoff.first_action_at.is_(None),
        )
        .values(first_action_at=at)
    )


# The same reading as migration 0018's back-fill, for rows written in bulk without the step hook
# (the demo's past quarter): the claimer's first step after the current claim.
_FROM_STEPS = text(
    """
    UPDATE handoffs h
    SET first_action_at = (
        SELECT min(st.created_at)
        FROM steps st
        WHERE st.account_id = h.account_id
          AND st.session_id = h.session_id
          AND st.author_id = h.claimed_by_id
          AND st.created_at >= GREATEST(h.claimed_at, h.created_at, h.released_at) - interval '30 seconds'
    )
    WHERE h.account_id = :account AND h.intent = 'escalate' AND h.claimed_at IS NOT NULL
      AND h.claimed_by_id IS NOT NULL AND h.first_action_at IS NULL
    """
)


async def stamp_from_steps(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """Stamp `first_action_at` on the account's claimed escalations that have none, from their steps."""
    await uow.execute(_FROM_STEPS, {"account": account_id})
