"""Attachments on the screens: the upload form's route, and what the workspace and pickup screen show."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from relaydesk.accounts.actor import Actor
from relaydesk.attachments import service
from relaydesk.attachments.schemas import size_text
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, TooLarge
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.sessions.pages import render_workspace
from relaydesk.web.auth import FormActor
from relaydesk.web.deps import SettingsDep, UowDep

router = APIRouter()


async def workspace_context(
    request: Request, uow: UnitOfWork, actor: Actor, session: Session
) -> dict[str, Any]:
    """What attachments add to the workspace (sessions.pages.Workspace): each step's files and,
    when the policy lets `actor` add steps, the per-step upload form."""
    settings = request.app.state.settings
    return {
        "attachments_by_step": await service.by_step(uow, session.id),
        "may_attach": await sessions.can_work(uow, actor, session),
        "attach_limit": size_text(settings.attachment_max_bytes),
    }


@router.post("/sessions/{session_id}/steps/{step_id}/attachments")
async def upload(
    request: Request,
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    settings: SettingsDep,
) -> Response:
    """The per-step upload form: 303 back to the step, or the workspace again with the reason."""
    upload = (await request.form()).get("file")  # parsed once, by the CSRF check before us
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadInput("Choose a file to attach.")
        async with uow.attempt():  # a refused upload leaves no row and no chunk
            await service.attach(uow, actor, session_id, step_id, upload, service.Limits.of(settings))
    except (BadInput, TooLarge, Conflict) as exc:
        return await render_workspace(
            request,
            uow,
            actor,
            session_id,
            status_code=exc.status_code,
            error=exc.detail,
            attach_error_step=step_id,
        )
    return RedirectResponse(f"/sessions/{session_id}#step-{step_id}", status_code=303)
