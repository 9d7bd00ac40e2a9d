"""The claimer's first action: stamped on the handoff in the transaction of their first step.

A leaf (the table and the unit of work), so the sessions service can call it when a step is added
without importing the handoff services. Analytics reads `first_action_at` as one column instead of
looking for the step (migration 0018 back-filled the rows from before).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update

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
