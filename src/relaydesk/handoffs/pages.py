"""Screens of handoffs: the escalate/park forms on the workspace, the queue, the pickup screen, the claim."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.attachments import service as attachments
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, NotFound
from relaydesk.handoffs import policy, together
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.queue_page import router as queue_router
from relaydesk.handoffs.schemas import HandoffCreate, HandoffDetail, ReleaseIn
from relaydesk.handoffs.snapshot import SnapshotStep
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.sessions.pages import render_workspace
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import OptionalActor, UowDep
from relaydesk.web.problems import validation_message
from relaydesk.web.templating import render

router = APIRouter()

# Where each start-here choice lands after the claim. `#add-step` puts focus in the step form.
START_CHOICES = {"continue": "", "briefing": "?briefing=1#briefing", "own": "#add-step"}


# --- the header counts -------------------------------------------------------------------------


@dataclass(frozen=True)
class NavCounts:
    open_escalations: int | None
    unread: int
    # the last event this page reflects: the live stream replays from here, closing the gap
    # between rendering the page and opening the stream
    live_since: int = 0


async def nav_counts(request: Request, uow: UowDep, actor: OptionalActor) -> None:
    """The header's queue and bell counts and the live stream's starting point, in one query, for
    every page: also a form post that renders the form again with its reason (taken before the
    form's savepoint, so it counts what stays). Read by the template context processor."""
    if actor is None:
        return
    waiting, unread, last_seq = await handoffs.header_counts(uow, actor)
    request.state.nav_counts = NavCounts(open_escalations=waiting, unread=unread, live_since=last_seq)


# --- view shapes -------------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass
class Story:
    """What the snapshot says happened, shaped for the templates."""

    problem: str
    category: str | None
    client: str | None
    ticket: str | None
    priority: str
    reason: str | None
    notes: str | None
    steps: list[SnapshotStep]
    failed: int
    notes_count: int


def story(handoff: HandoffDetail) -> Story:
    snap = handoff.snapshot
    written = snap.model_fields_set
    return Story(
        problem=snap.problem_summary,
        category=snap.category,
        client=snap.client_name,
        ticket=snap.ticket_id,
        priority=snap.priority,
        # rows from before the snapshot kept them fall back to the handoff's own
        reason=snap.reason if "reason" in written else handoff.reason,
        notes=snap.notes if "notes" in written else handoff.notes,
        steps=snap.steps,
        failed=sum(1 for s in snap.steps if s.kind == "failed"),
        notes_count=sum(1 for s in snap.steps if s.kind == "note"),
    )


# --- the workspace -----------------------------------------------------------------------------


async def workspace_context(
    request: Request, uow: UnitOfWork, actor: Actor, session: Session
) -> dict[str, Any]:
    """What handoffs add to the session workspace (see sessions.pages.Workspace)."""
    handoff = await handoffs.latest_escalation(uow, actor, session.id)
    allowed = policy.allowed_actions(actor, session, handoff)
    can_hand_off = policy.Action.ESCALATE in allowed
    teammates = []
    if can_hand_off:
        teammates = [
            u
            for u in await accounts.list_users(uow, actor)
            if u.role in handoffs.WORKING_ROLES and u.id != actor.user_id
        ]
    return {
        "handoff": handoff,
        "story": story(handoff) if handoff else None,
        "can_hand_off": can_hand_off,
        "can_park": policy.Action.PARK in allowed,
        "can_resume": policy.Action.RESUME in allowed,
        "can_withdraw": bool(handoff and policy.may_withdraw(actor, handoff)),
        "can_release": bool(handoff and policy.Action.RELEASE in allowed),
        "is_claimer": bool(
            handoff and handoff.status == "claimed" and handoff.claimed_by_id == actor.user_id
        ),
        "teammates": teammates,
        "briefing": request.query_params.get("briefing") == "1",
        "escalate_values": {},
        "escalate_error": None,
    }


@router.post("/sessions/{session_id}/escalate")
async def escalate(
    request: Request,
    session_id: uuid.UUID,
    uow: UowDep,
    actor: FormActor,
    reason: str = Form(""),
    notes: str = Form(""),
    target_user_id: str = Form(""),
) -> Response:
    values = {"reason": reason, "notes": notes, "target_user_id": target_user_id}
    try:
        handoff_in = HandoffCreate(
            intent="escalate", reason=reason, notes=notes, target_user_id=target_user_id.strip() or None
        )
        # whatever the service wrote before refusing is undone (invariant 2)
        async with uow.attempt():
            handoff = await handoffs.create_handoff(uow, actor, session_id, handoff_in)
    except (ValidationError, BadInput) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return await render_workspace(
            request,
            uow,
            actor,
            session_id,
            status_code=422,
            escalate_error=message.replace("target_user_id: ", "Teammate: "),
            escalate_values=values,
        )
    except Conflict as exc:
        # Not active any more (a second click, another tab): the form is gone, so say it on top.
        return await render_workspace(request, uow, actor, session_id, status_code=409, error=exc.detail)
    notice = "escalated-to-teammate" if handoff.target_user_id else "escalated"
    return RedirectResponse("/sessions?" + urlencode({"notice": notice}), status_code=303)


@router.post("/sessions/{session_id}/park")
async def park(session_id: uuid.UUID, uow: UowDep, actor: FormActor, notes: str = Form("")) -> Response:
    await handoffs.create_handoff(uow, actor, session_id, HandoffCreate(intent="park", notes=notes))
    return RedirectResponse("/sessions?notice=parked", status_code=303)


@router.post("/sessions/{session_id}/resume")
async def resume(session_id: uuid.UUID, uow: UowDep, actor: FormActor) -> Response:
    await handoffs.resume(uow, actor, session_id)
    return RedirectResponse(f"/sessions/{session_id}#add-step", status_code=303)


@router.post("/handoffs/{handoff_id}/withdraw")
async def withdraw(handoff_id: uuid.UUID, uow: UowDep, actor: FormActor) -> Response:
    handoff = await handoffs.withdraw(uow, actor, handoff_id)
    return RedirectResponse(f"/sessions/{handoff.session_id}#add-step", status_code=303)


@router.post("/handoffs/{handoff_id}/release")
async def release(
    request: Request, handoff_id: uuid.UUID, uow: UowDep, actor: FormActor, reason: str = Form("")
) -> Response:
    handoff = await handoffs.get_handoff(uow, actor, handoff_id)
    try:
        release_in = ReleaseIn(reason=reason)
        async with uow.attempt():
            await handoffs.release(uow, actor, handoff_id, release_in.reason)
    except (ValidationError, BadInput) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else exc.detail
        return await render_workspace(
            request, uow, actor, handoff.session_id, status_code=422, error=message.replace("reason: ", "")
        )
    return RedirectResponse("/queue", status_code=303)


# --- the queue ---------------------------------------------------------------------------------


# handoffs/queue_page.py: triage order, the pickup SLA, filters, the row fragment.
router.include_router(queue_router)


# --- the pickup screen and the claim -----------------------------------------------------------


def _pickup(
    request: Request,
    actor: Actor,
    handoff: HandoffDetail | None,
    *,
    status_code: int = 200,
    context: bool = False,
    taken: dict[str, Any] | None = None,
    attachments_by_step: dict[uuid.UUID, Any] | None = None,
    **extra: Any,
) -> Response:
    return render(
        request,
        "handoffs/pickup.html",
        status_code=status_code,
        handoff=handoff,
        story=story(handoff) if handoff else None,
        is_escalator=bool(handoff and handoff.created_by_id == actor.user_id),
        may_claim=bool(handoff and policy.may_claim(actor, handoff, datetime.now(UTC))),
        context=context,
        taken=taken,
        attachments_by_step=attachments_by_step or {},
        **extra,
    )


@router.get("/sessions/{session_id}/pickup")
async def pickup(
    request: Request, session_id: uuid.UUID, uow: UowDep, actor: PageActor, context: bool = False
) -> Response:
    handoff = await handoffs.latest_escalation(uow, actor, session_id)
    if handoff is None:
        raise NotFound("This session has not been escalated, so there is nothing to pick up.")
    session = await sessions.get_session(uow, actor, session_id)
    files = await attachments.by_step(uow, session_id)  # the read rule held: latest_escalation found it
    return _pickup(
        request,
        actor,
        handoff,
        context=context,
        attachments_by_step=files,
        **await together.conversation(uow, actor, session),
    )


@router.post("/handoffs/{handoff_id}/claim")
async def claim(
    request: Request, handoff_id: uuid.UUID, uow: UowDep, actor: FormActor, start: str = Form("continue")
) -> Response:
    try:
        async with uow.attempt():
            handoff = await handoffs.claim(uow, actor, handoff_id)
    except Conflict as exc:
        # Lost the race (or it was withdrawn): the screen again, saying who took it and when.
        taken = {
            "by": exc.extra.get("claimed_by"),
            "at": _when(exc.extra.get("claimed_at")) if exc.extra.get("claimed_at") else None,
            "detail": exc.detail,
        }
        try:
            shown: HandoffDetail | None = await handoffs.get_handoff(uow, actor, handoff_id)
        except NotFound:
            shown = None  # once taken, a bystander may no longer read the session
        return _pickup(request, actor, shown, status_code=409, taken=taken)
    return RedirectResponse(f"/sessions/{handoff.session_id}{START_CHOICES.get(start, '')}", status_code=303)
