"""Bell items: created with an event in the caller's transaction, read by their user only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import NotFound
from relaydesk.live.service import NewEvent, append_events
from relaydesk.notifications.models import Notification


async def notify(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    user_ids: list[uuid.UUID],
    kind: str,
    title: str,
    link: str,
    handoff_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    state: str = "info",
    actor_id: uuid.UUID | None = None,
) -> list[Notification]:
    items = [
        Notification(
            id=uuid.uuid4(),
            account_id=account_id,
            user_id=user_id,
            kind=kind,
            title=title,
            link=link,
            handoff_id=handoff_id,
            session_id=session_id,
            state=state,
        )
        for user_id in user_ids
    ]
    uow.add_all(items)
    await uow.flush()
    await append_events(
        uow,
        account_id=account_id,
        events=[
            NewEvent(
                type="notification.created",
                actor_id=actor_id,
                session_id=session_id,
                handoff_id=handoff_id,
                audience_user_id=item.user_id,
                payload={
                    "notification_id": item.id,
                    "kind": kind,
                    "title": title,
                    "link": link,
                    "state": state,
                },
            )
            for item in items
        ],
    )
    return items


async def set_state_for_handoff(uow: UnitOfWork, handoff_id: uuid.UUID, *, kind: str, state: str) -> None:
    """Mark every actionable item of a handoff as no longer actionable (taken, withdrawn)."""
    await uow.result(
        update(Notification)
        .where(
            Notification.handoff_id == handoff_id,
            Notification.kind == kind,
            Notification.state == "actionable",
        )
        .values(state=state)
    )


async def bell(uow: UnitOfWork, actor: Actor, *, limit: int = 50) -> tuple[int, list[Notification]]:
    mine = Notification.user_id == actor.user_id
    unread = await uow.scalar(select(func.count()).where(mine, Notification.read_at.is_(None)))
    rows = await uow.all(
        select(Notification)
        .where(mine)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(limit)
    )
    return unread, list(rows)


async def mark_read(uow: UnitOfWork, actor: Actor, notification_id: uuid.UUID) -> Notification:
    item = await uow.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == actor.user_id)
    )
    if item is None:
        raise NotFound("No such notification.")
    if item.read_at is None:
        item.read_at = datetime.now(UTC)
    await uow.flush()
    return item


async def mark_all_read(uow: UnitOfWork, actor: Actor) -> int:
    result = await uow.result(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return cast("CursorResult[Any]", result).rowcount or 0
