"""JSON routes of the bell."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from relaydesk.notifications import service as notifications
from relaydesk.notifications.schemas import BellOut, NotificationOut
from relaydesk.web.deps import CurrentActor, UowDep

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=BellOut)
async def bell(uow: UowDep, actor: CurrentActor) -> BellOut:
    unread, items = await notifications.bell(uow, actor)
    return BellOut(unread=unread, items=[NotificationOut.model_validate(i) for i in items])


@router.post("/read-all")
async def read_all(uow: UowDep, actor: CurrentActor) -> dict[str, int]:
    return {"marked": await notifications.mark_all_read(uow, actor)}


@router.post("/{notification_id}/read", response_model=NotificationOut)
async def read(notification_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> NotificationOut:
    return NotificationOut.model_validate(await notifications.mark_read(uow, actor, notification_id))
