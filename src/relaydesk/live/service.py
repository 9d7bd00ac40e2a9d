"""Appending and reading events. Callers pass ids and a small payload; this module imports no other domain.

Order (invariant 6): each account's events are numbered 1, 2, 3, ... by `seq`, taken under a
transaction-scoped advisory lock held until commit. A second writer of the same account waits for
the first to commit or roll back, and only then reads max(seq). So seq order is commit order, the
numbers have no holes, and a reader that has seen N can ask for `seq > N` without ever skipping one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text

from relaydesk.db.notify import EVENTS_CHANNEL, notify
from relaydesk.db.uow import UnitOfWork
from relaydesk.live.models import Event

CHANNEL = EVENTS_CHANNEL
LOCK_CLASS = 727001


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: `append_event`'s keyword arguments, for appending several at once."""

    type: str
    actor_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    handoff_id: uuid.UUID | None = None
    audience_user_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)


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
        events=[
            NewEvent(
                type=type,
                actor_id=actor_id,
                session_id=session_id,
                handoff_id=handoff_id,
                audience_user_id=audience_user_id,
                payload=payload or {},
            )
        ],
    )
    return event


async def append_events(uow: UnitOfWork, *, account_id: uuid.UUID, events: Sequence[NewEvent]) -> list[Event]:
    """Append several events at once (one lock, one insert, one NOTIFY): a bell item per teammate
    must not cost a round trip each."""
    if not events:
        return []
    # Serialise event writers of one account until commit, so seq order is commit order (invariant 6).
    # max(seq) below is a new statement, so under READ COMMITTED (the unit of work's level) its
    # snapshot already includes the commit of whoever held the lock before us.
    await uow.result(
        text(f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, hashtext(:a))"), {"a": str(account_id)}
    )
    first = await uow.scalar(
        select(func.coalesce(func.max(Event.seq), 0) + 1).where(Event.account_id == account_id)
    )
    rows = [
        Event(
            account_id=account_id,
            seq=first + n,
            type=e.type,
            actor_id=e.actor_id,
            session_id=e.session_id,
            handoff_id=e.handoff_id,
            audience_user_id=e.audience_user_id,
            payload=json.loads(json.dumps(e.payload, default=str)),
        )
        for n, e in enumerate(events)
    ]
    uow.add_all(rows)
    await uow.flush()
    # NOTIFY inside the transaction is delivered only on commit; it only wakes listeners, which
    # read the table from their last seq, so one notice for the last position is enough.
    await notify(uow, EVENTS_CHANNEL, f"{account_id}:{rows[-1].seq}")
    return rows


async def last_seq(uow: UnitOfWork, account_id: uuid.UUID) -> int:
    """The account's newest committed position (0 before its first event)."""
    return int(
        await uow.scalar(select(func.coalesce(func.max(Event.seq), 0)).where(Event.account_id == account_id))
    )


async def events_after(uow: UnitOfWork, account_id: uuid.UUID, after: int, *, limit: int) -> list[Event]:
    """Committed events with seq > after, oldest first; the unique (account_id, seq) index serves it."""
    rows = await uow.all(
        select(Event)
        .where(Event.account_id == account_id, Event.seq > after)
        .order_by(Event.seq)
        .limit(limit)
    )
    return list(rows)


async def session_events(
    uow: UnitOfWork, account_id: uuid.UUID, session_id: uuid.UUID, viewer_id: uuid.UUID
) -> list[Event]:
    rows = await uow.all(
        select(Event)
        .where(
            Event.account_id == account_id,
            Event.session_id == session_id,
            (Event.audience_user_id.is_(None)) | (Event.audience_user_id == viewer_id),
        )
        .order_by(Event.seq)
    )
    return list(rows)
