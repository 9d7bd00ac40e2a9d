"""The feedback buttons under the assessment on the claimer's workspace, and their one-click posts."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput
from relaydesk.feedback import service as feedback
from relaydesk.feedback.schemas import FeedbackIn
from relaydesk.sessions.models import Session
from relaydesk.web.auth import FormActor
from relaydesk.web.deps import UowDep

router = APIRouter()


async def workspace_context(
    request: Request, uow: UnitOfWork, actor: Actor, session: Session
) -> dict[str, Any]:
    """What feedback adds to the session workspace (see sessions.pages.Workspace)."""
    return {"feedback": await feedback.for_workspace(uow, actor, session)}


@router.post("/handoffs/{handoff_id}/assessment-feedback")
async def answer(
    handoff_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    cause: str = Form(""),
    helpful: str = Form(""),
    on: str = Form("1"),
) -> Response:
    """One click: a cause verdict, or one similar session's "this helped" toggled."""
    current = await feedback.get_feedback(uow, actor, handoff_id)
    body: dict[str, Any] = {}
    if cause:
        body["cause"] = cause
    if helpful:
        try:
            past = uuid.UUID(helpful)
        except ValueError as exc:
            raise BadInput("That similar session is not one shown with this assessment.") from exc
        marked = {h.session_id for h in current.helpful}
        body["helpful_session_ids"] = sorted(marked | {past} if on == "1" else marked - {past}, key=str)
    try:
        feedback_in = FeedbackIn.model_validate(body)
    except ValidationError as exc:
        raise BadInput("Choose yes, partly or no, or mark a similar session.") from exc
    await feedback.record_feedback(uow, actor, handoff_id, feedback_in)
    session_id = await feedback.session_of(uow, actor, handoff_id)
    return RedirectResponse(f"/sessions/{session_id}?briefing=1", status_code=303)
