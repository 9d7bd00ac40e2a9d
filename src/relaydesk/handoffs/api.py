"""JSON routes of handoffs: escalate/park, resume, withdraw, claim, release, the queue, the audit trail."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import (
    EventOut,
    HandoffCreate,
    HandoffDetail,
    HandoffOut,
    QueueItem,
    ReleaseIn,
)
from relaydesk.live.service import session_events
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import Priority, SessionOut
from relaydesk.web.deps import CurrentActor, UowDep

router = APIRouter(prefix="/api/v1", tags=["handoffs"])


@router.post("/sessions/{session_id}/handoffs", response_model=HandoffDetail, status_code=201)
async def create_handoff(
    session_id: uuid.UUID, handoff_in: HandoffCreate, uow: UowDep, actor: CurrentActor
) -> HandoffDetail:
    handoff = await handoffs.create_handoff(uow, actor, session_id, handoff_in)
    return await handoffs.get_handoff(uow, actor, handoff.id)


@router.post("/sessions/{session_id}/resume", response_model=SessionOut)
async def resume(session_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> SessionOut:
    await handoffs.resume(uow, actor, session_id)
    return await sessions.session_detail(uow, actor, session_id)


@router.get("/sessions/{session_id}/events", response_model=list[EventOut])
async def events(session_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> list[EventOut]:
    session = await sessions.get_session(uow, actor, session_id)
    rows = await session_events(uow, actor.account_id, session.id, actor.user_id)
    return [EventOut.model_validate(e) for e in rows]


@router.get("/handoffs", response_model=list[QueueItem])
async def queue(
    uow: UowDep,
    actor: CurrentActor,
    status: Literal["open", "claimed", "withdrawn", "closed"] = "open",
    priority: Priority | None = None,
    target: str | None = None,
) -> list[QueueItem]:
    """The escalation queue: the account's escalations you could pick up, oldest first, never your own.
    `target` is `me`, `team` or a user id."""
    return await handoffs.queue(uow, actor, status=status, priority=priority, target=target)


@router.get("/handoffs/{handoff_id}", response_model=HandoffDetail)
async def get_handoff(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> HandoffDetail:
    return await handoffs.get_handoff(uow, actor, handoff_id)


@router.post(
    "/handoffs/{handoff_id}/claim",
    response_model=HandoffOut,
    responses={409: {"description": "Someone else won: `claimed_by` and `claimed_at` say who and when."}},
)
async def claim(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> HandoffOut:
    return await handoffs.handoff_out(uow, await handoffs.claim(uow, actor, handoff_id))


@router.post("/handoffs/{handoff_id}/withdraw", response_model=HandoffOut)
async def withdraw(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> HandoffOut:
    return await handoffs.handoff_out(uow, await handoffs.withdraw(uow, actor, handoff_id))


@router.post("/handoffs/{handoff_id}/release", response_model=HandoffOut)
async def release(
    handoff_id: uuid.UUID, release_in: ReleaseIn, uow: UowDep, actor: CurrentActor
) -> HandoffOut:
    return await handoffs.handoff_out(uow, await handoffs.release(uow, actor, handoff_id, release_in.reason))
