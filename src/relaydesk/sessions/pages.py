"""Screens of troubleshooting sessions: my sessions, new session, the workspace."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput
from relaydesk.handoffs import policy
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.sessions.schemas import ResolveIn, SessionCreate, StepCreate
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import UowDep
from relaydesk.web.problems import validation_message
from relaydesk.web.templating import render

router = APIRouter()

GROUPS = (("active", "Active"), ("parked", "Parked"), ("escalated", "Escalated"), ("resolved", "Resolved"))

WorkspaceContext = Callable[[Request, UnitOfWork, Actor, Session], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Workspace:
    """How the workspace page is composed. Domains above sessions (handoffs, deliveries, summaries)
    add to it without sessions importing them, since imports go one way: a template extending
    sessions/workspace.html and the context each adds. The composition root (web/pages.py) builds
    one and the app keeps it on app.state.workspace; no module state changes at import time."""

    template: str = "sessions/workspace.html"
    contexts: tuple[WorkspaceContext, ...] = ()


async def render_workspace(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    *,
    status_code: int = 200,
    error: str | None = None,
    step_values: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The workspace page; also re-rendered with an error by the forms posted from it."""
    detail = await sessions.session_detail(uow, actor, session_id)
    session = await sessions.get_session(uow, actor, session_id)
    allowed = policy.allowed_actions(actor, session, await policy.latest_escalation(uow, session.id))
    workspace: Workspace = getattr(request.app.state, "workspace", Workspace())
    context: dict[str, Any] = {}
    for add in workspace.contexts:
        context |= await add(request, uow, actor, session)
    return render(
        request,
        workspace.template,
        status_code=status_code,
        session=detail,
        allowed=allowed,
        can_work=policy.Action.ADD_STEP in allowed,
        error=error,
        step_values=step_values or {},
        **(context | extra),
    )


# Confirmations after a redirect, by key: a link cannot put words of its own on our page.
NOTICES = {
    "escalated": "Escalated to the team: it waits in the queue. The bell tells you who picks it up.",
    "escalated-to-teammate": "Escalated to your teammate. The bell tells you when they pick it up.",
    "parked": "Parked. It is private to you; open it from Parked and resume when you come back.",
}


@router.get("/sessions")
async def my_sessions(request: Request, uow: UowDep, actor: PageActor, notice: str | None = None) -> Response:
    mine = await sessions.list_sessions(uow, actor, mine=True)
    groups = [(key, label, [s for s in mine if s.status == key]) for key, label in GROUPS]
    return render(request, "sessions/list.html", groups=groups, notice=NOTICES.get(notice or ""))


@router.get("/sessions/new")
async def new_session_form(request: Request, actor: PageActor) -> Response:
    return render(request, "sessions/new.html", values={}, error=None)


@router.post("/sessions/new")
async def new_session(
    request: Request,
    uow: UowDep,
    actor: FormActor,
    problem_summary: str = Form(""),
    category: str = Form(""),
    client_name: str = Form(""),
    ticket_id: str = Form(""),
    priority: str = Form("normal"),
    contact_name: str = Form(""),
    contact_email: str = Form(""),
) -> Response:
    values = {
        "problem_summary": problem_summary,
        "category": category,
        "client_name": client_name,
        "ticket_id": ticket_id,
        "priority": priority,
        "contact_name": contact_name,
        "contact_email": contact_email,
    }
    try:
        session_in = SessionCreate.model_validate(values)
        async with uow.attempt():
            session = await sessions.create_session(uow, actor, session_in)
    except (ValidationError, BadInput) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return render(request, "sessions/new.html", status_code=422, values=values, error=message)
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


@router.get("/sessions/{session_id}")
async def workspace(request: Request, session_id: uuid.UUID, uow: UowDep, actor: PageActor) -> Response:
    return await render_workspace(request, uow, actor, session_id)


@router.post("/sessions/{session_id}/steps")
async def add_step(
    request: Request,
    session_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    action: str = Form(""),
    result: str = Form(""),
    outcome: str = Form("info"),
) -> Response:
    values = {"action": action, "result": result, "outcome": outcome}
    try:
        step_in = StepCreate.model_validate(values)
        secret_key = request.app.state.settings.resolved_secret_key()
        async with uow.attempt():
            await sessions.add_step(uow, actor, session_id, step_in, secret_key=secret_key)
    except (ValidationError, BadInput) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return await render_workspace(
            request, uow, actor, session_id, status_code=422, error=message, step_values=values
        )
    return RedirectResponse(f"/sessions/{session_id}#add-step", status_code=303)


@router.post("/sessions/{session_id}/resolve")
async def resolve(
    request: Request, session_id: uuid.UUID, uow: UowDep, actor: FormActor, resolution: str = Form("")
) -> Response:
    try:
        resolve_in = ResolveIn.model_validate({"resolution": resolution})
        async with uow.attempt():
            await sessions.resolve_session(uow, actor, session_id, resolve_in)
    except (ValidationError, BadInput) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return await render_workspace(request, uow, actor, session_id, status_code=422, error=message)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)
