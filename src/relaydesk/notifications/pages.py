"""The bell's page: my notifications, unread first; mark one or all read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from relaydesk.notifications import service as notifications
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import UowDep
from relaydesk.web.templating import render

router = APIRouter()

# What an item that no longer asks for action says, in words (not colour alone).
STATE_LABELS = {"taken": "taken", "withdrawn": "withdrawn"}


@router.get("/notifications")
async def bell(request: Request, uow: UowDep, actor: PageActor) -> Response:
    unread, items = await notifications.bell(uow, actor)
    return render(request, "notifications/list.html", unread=unread, items=items, state_labels=STATE_LABELS)


@router.post("/notifications/read-all")
async def read_all(uow: UowDep, actor: FormActor) -> Response:
    await notifications.mark_all_read(uow, actor)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
async def read(notification_id: uuid.UUID, uow: UowDep, actor: FormActor) -> Response:
    await notifications.mark_read(uow, actor, notification_id)
    return RedirectResponse("/notifications", status_code=303)
