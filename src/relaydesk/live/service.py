"""Appending events. Callers pass ids and a small payload; this module imports no other domain."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select, text

from relaydesk.db.uow import UnitOfWork
from relaydesk.live.models import Event

CHANNEL = "relaydesk_events"


async def append_event(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    type: str,
    actor_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    handoff_id: uuid.UUID | None = None,
    audience_user_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append an event in the caller's transaction; it becomes visible (and NOTIFY fires) at commit."""
    (event,) = await append_events(
        uow,
        account_id=account_id,
        drafts=[
            dict(
                type=type,
                actor_id=actor_id,
                session_id=session_id,
                handoff_id=handoff_id,
                audience_user_id=audience_user_id,
                payload=payload,
            )
        ],
    )
    return event


async def append_events(
    uow: UnitOfWork, *, account_id: uuid.UUID, drafts: list[dict[str, Any]]
) -> list[Event]:
    """Append several events at once (one lock, one insert, one NOTIFY): a bell item per teammate
    must not cost a round trip each. Each draft has append_event's keyword arguments."""
    if not drafts:
        return []
    # Serialise event writers of one account until commit, so seq order is commit order (invariant 6).
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(727001, hashtext(:a))"), {"a": str(account_id)}
    )
    first = await uow.scalar(
        select(func.coalesce(func.max(Event.seq), 0) + 1).where(Event.account_id == account_id)
    )
    events = [
        Event(
            account_id=account_id,
            seq=first + n,
            type=d["type"],
            actor_id=d.get("actor_id"),
            session_id=d.get("session_id"),
            handoff_id=d.get("handoff_id"),
            audience_user_id=d.get("audience_user_id"),
            payload=json.loads(json.dumps(d.get("payload") or {}, default=str)),
        )
        for n, d in enumerate(drafts)
    ]
    uow.session.add_all(events)
    await uow.flush()
    # NOTIFY inside the transaction is delivered only on commit; it only wakes listeners, which
    # read the table from their last seq, so one notice for the last position is enough.
    await uow.session.execute(
        text("SELECT pg_notify(:c, :m)"), {"c": CHANNEL, "m": f"{account_id}:{events[-1].seq}"}
    )
    return events


async def session_events(
    uow: UnitOfWork, account_id: uuid.UUID, session_id: uuid.UUID, viewer_id: uuid.UUID
) -> list[Event]:
    rows = await uow.session.scalars(
        select(Event)
        .where(
            Event.account_id == account_id,
            Event.session_id == session_id,
            (Event.audience_user_id.is_(None)) | (Event.audience_user_id == viewer_id),
        )
        .order_by(Event.seq)
    )
    return list(rows)
