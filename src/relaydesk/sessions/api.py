"""JSON routes of troubleshooting sessions and steps."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from relaydesk.sessions import comments, corrections, secrets
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import (
    CommentCreate,
    CommentOut,
    CommentPage,
    ResolveIn,
    SessionCreate,
    SessionDetail,
    SessionOut,
    Status,
    StepCreate,
    StepEdit,
    StepOut,
)
from relaydesk.web.deps import CurrentActor, SettingsDep, UowDep

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])


@router.post("", response_model=SessionDetail, status_code=201)
async def create_session(session_in: SessionCreate, uow: UowDep, actor: CurrentActor) -> SessionDetail:
    session = await sessions.create_session(uow, actor, session_in)
    return await sessions.session_detail(uow, actor, session.id)


@router.get("", response_model=list[SessionOut])
async def list_sessions(
    uow: UowDep,
    actor: CurrentActor,
    status: Status | None = None,
    mine: bool = Query(False, description="Only sessions you own or are assigned."),
) -> list[SessionOut]:
    return await sessions.list_sessions(uow, actor, status=status, mine=mine)


@router.get("/{session_id}", response_model=SessionDetail)
async def get_session(session_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> SessionDetail:
    return await sessions.session_detail(uow, actor, session_id)


@router.post("/{session_id}/steps", response_model=StepOut, status_code=201)
async def add_step(
    session_id: uuid.UUID, step_in: StepCreate, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> StepOut:
    step = await sessions.add_step(uow, actor, session_id, step_in, secret_key=settings.resolved_secret_key())
    return StepOut.model_validate(step).model_copy(update={"author_name": actor.name})


@router.patch("/{session_id}/steps/{step_id}", response_model=StepOut)
async def edit_step(
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    edit: StepEdit,
    uow: UowDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> StepOut:
    """Correct your own step within `RELAYDESK_STEP_EDIT_MINUTES`; the before and after are an event."""
    step = await corrections.edit_step(
        uow,
        actor,
        session_id,
        step_id,
        edit,
        window=timedelta(minutes=settings.step_edit_minutes),
        secret_key=settings.resolved_secret_key(),
    )
    return StepOut.model_validate(step).model_copy(update={"author_name": actor.name})


@router.delete(
    "/{session_id}/steps/{step_id}",
    status_code=204,
    responses={409: {"description": "Too late, or someone replied to the step (edit it instead)."}},
)
async def delete_step(
    session_id: uuid.UUID, step_id: uuid.UUID, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> Response:
    await corrections.delete_step(
        uow, actor, session_id, step_id, window=timedelta(minutes=settings.step_edit_minutes)
    )
    return Response(status_code=204)


@router.post("/{session_id}/comments", response_model=CommentOut, status_code=201)
async def add_comment(
    session_id: uuid.UUID, comment_in: CommentCreate, uow: UowDep, actor: CurrentActor
) -> CommentOut:
    """A remark on the session. `@SamLee` (the full name without spaces) or `@Sam` (a first name
    only one teammate has) mentions them: a bell item, and an email when their email is on."""
    return await comments.add_comment(uow, actor, session_id, comment_in)


@router.get("/{session_id}/comments", response_model=CommentPage)
async def list_comments(
    session_id: uuid.UUID,
    uow: UowDep,
    actor: CurrentActor,
    cursor: str | None = Query(None, max_length=200, description="`next_cursor` of the previous page."),
    limit: int = Query(comments.DEFAULT_LIMIT, ge=1, le=comments.MAX_LIMIT),
) -> CommentPage:
    return await comments.list_comments(uow, actor, session_id, cursor=cursor, limit=limit)


@router.post("/{session_id}/resolve", response_model=SessionDetail)
async def resolve(
    session_id: uuid.UUID, resolve_in: ResolveIn, uow: UowDep, actor: CurrentActor
) -> SessionDetail:
    await sessions.resolve_session(uow, actor, session_id, resolve_in)
    return await sessions.session_detail(uow, actor, session_id)


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: Literal["action", "result"]
    index: int = Field(ge=0, le=1000, description="Which secret of the field, counted from 0.")


class RevealOut(BaseModel):
    value: str
    kind: str


@router.post("/{session_id}/steps/{step_id}/reveal", response_model=RevealOut)
async def reveal_secret(
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    reveal_in: RevealIn,
    uow: UowDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> RevealOut:
    """One masked secret of a step in clear; recorded as a `secret.revealed` event."""
    await sessions.get_session(uow, actor, session_id)  # the session's read rule, 404 otherwise
    value, kind = await secrets.reveal(
        uow,
        actor,
        session_id,
        step_id,
        reveal_in.field,
        reveal_in.index,
        secret_key=settings.resolved_secret_key(),
    )
    return RevealOut(value=value, kind=kind.value)
