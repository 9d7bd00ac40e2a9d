"""Screens of deliveries: the "Deliveries" section of a session's workspace and its retry button."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import reading
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import SettingsDep, UowDep
from relaydesk.web.templating import render

router = APIRouter()

CHANNEL_LABELS = {
    "email": "Email",
    "slack": "Slack",
    "teams": "Teams",
    "webhook": "Webhook",
    "psa_note": "PSA note",
}
EVENT_LABELS = {
    "escalation": "escalation",
    "unclaimed": "unclaimed reminder",
    "resolved": "resolution",
    "test": "test",
}


async def workspace_context(request: Request, uow: UnitOfWork, actor: Actor, session: Any) -> dict[str, Any]:
    """What the workspace's Deliveries section shows (wired in web/pages.py, WORKSPACE)."""
    if not actor.at_least("engineer"):
        return {"deliveries": None}
    return {
        "deliveries": await reading.list_deliveries(uow, actor, session_id=session.id),
        "delivery_error": partial(reading.shown_error, actor),
        "channel_labels": CHANNEL_LABELS,
        "event_labels": EVENT_LABELS,
    }


@router.get("/sessions/{session_id}/deliveries")
async def section(request: Request, session_id: uuid.UUID, uow: UowDep, actor: PageActor) -> Response:
    """The section alone, which the workspace reloads while something is still on its way."""
    rows = await reading.list_deliveries(uow, actor, session_id=session_id)
    return render(
        request,
        "deliveries/_section.html",
        deliveries=rows,
        delivery_error=partial(reading.shown_error, actor),
        session={"id": session_id},
        channel_labels=CHANNEL_LABELS,
        event_labels=EVENT_LABELS,
    )


@router.post("/deliveries/{delivery_id}/retry")
async def retry(delivery_id: uuid.UUID, uow: UowDep, actor: FormActor, settings: SettingsDep) -> Response:
    row = await reading.retry_now(uow, actor, delivery_id, extra_attempts=settings.delivery_max_attempts)
    target = f"/sessions/{row.session_id}#deliveries" if row.session_id else "/settings/integrations"
    return RedirectResponse(target, status_code=303)
