"""Screens of working a handoff together: the conversation on the workspace and the pickup screen,
correcting a step from the timeline, and the corrections in the session's history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, NotPermitted
from relaydesk.handoffs import policy
from relaydesk.live.service import session_events
from relaydesk.sessions import comments, corrections
from relaydesk.sessions.models import Session, Step
from relaydesk.sessions.pages import render_workspace
from relaydesk.sessions.schemas import CommentCreate, StepEdit
from relaydesk.web.auth import FormActor
from relaydesk.web.deps import UowDep
from relaydesk.web.problems import validation_message

router = APIRouter()

CORRECTION_TYPES = ("step.edited", "step.deleted")


def _window(request: Request) -> timedelta:
    return timedelta(minutes=request.app.state.settings.step_edit_minutes)


async def conversation(uow: UnitOfWork, actor: Actor, session: Session) -> dict[str, Any]:
    """The comments and whether `actor` may add one: the workspace and the pickup screen."""
    page = await comments.list_comments(uow, actor, session.id, limit=comments.MAX_LIMIT)
    handoff = await policy.latest_escalation(uow, session.id)
    return {
        "comments": page.items,
        "comments_more": page.next_cursor is not None,
        "may_comment": policy.allows(actor, policy.Action.COMMENT, session, handoff),
    }


async def workspace_context(
    request: Request, uow: UnitOfWork, actor: Actor, session: Session
) -> dict[str, Any]:
    """What working together adds to the workspace (see sessions.pages.Workspace): the conversation,
    which of the timeline's steps `actor` may still correct, and the corrections made."""
    handoff = await policy.latest_escalation(uow, session.id)
    window = _window(request)
    since = datetime.now(UTC) - window
    editable: set[uuid.UUID] = set()
    if policy.allows(actor, policy.Action.EDIT_STEP, session, handoff):
        rows = await uow.all(
            select(Step.id).where(
                Step.session_id == session.id, Step.author_id == actor.user_id, Step.created_at >= since
            )
        )
        editable = set(rows)
    events = await session_events(uow, actor.account_id, session.id, actor.user_id)
    corrected = [e for e in events if e.type in CORRECTION_TYPES]
    return await conversation(uow, actor, session) | {
        "editable_steps": editable,
        "edit_minutes": int(window.total_seconds() // 60),
        "corrections": corrected,
        "comment_values": {},
        "comment_error": None,
    }


@router.post("/sessions/{session_id}/comments")
async def add_comment(
    request: Request,
    session_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    body: str = Form(""),
    step_id: str = Form(""),
    back: str = Form("workspace"),
) -> Response:
    values = {"body": body, "step_id": step_id}
    try:
        comment_in = CommentCreate.model_validate({"body": body, "step_id": step_id.strip() or None})
        async with uow.attempt():
            await comments.add_comment(uow, actor, session_id, comment_in)
    except (ValidationError, BadInput, NotPermitted) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        # the typed text comes back with the reason (on the workspace, where the form also is)
        return await render_workspace(
            request,
            uow,
            actor,
            session_id,
            status_code=422 if not isinstance(exc, NotPermitted) else 403,
            comment_error=message.replace("body: ", ""),
            comment_values=values,
        )
    where = "/pickup" if back == "pickup" else ""
    return RedirectResponse(f"/sessions/{session_id}{where}#comments", status_code=303)


@router.post("/sessions/{session_id}/steps/{step_id}/edit")
async def edit_step(
    request: Request,
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    action: str = Form(""),
    result: str = Form(""),
    outcome: str = Form("info"),
) -> Response:
    try:
        edit = StepEdit.model_validate({"action": action, "result": result, "outcome": outcome})
        async with uow.attempt():
            await corrections.edit_step(
                uow,
                actor,
                session_id,
                step_id,
                edit,
                window=_window(request),
                secret_key=request.app.state.settings.resolved_secret_key(),
            )
    except (ValidationError, BadInput, NotPermitted, Conflict) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return await render_workspace(request, uow, actor, session_id, status_code=409, error=message)
    return RedirectResponse(f"/sessions/{session_id}#step-{step_id}", status_code=303)


@router.post("/sessions/{session_id}/steps/{step_id}/delete")
async def delete_step(
    request: Request, session_id: uuid.UUID, step_id: uuid.UUID, uow: UowDep, actor: FormActor
) -> Response:
    try:
        async with uow.attempt():
            await corrections.delete_step(uow, actor, session_id, step_id, window=_window(request))
    except (NotPermitted, Conflict) as exc:
        return await render_workspace(request, uow, actor, session_id, status_code=409, error=exc.detail)
    return RedirectResponse(f"/sessions/{session_id}#steps-h", status_code=303)
