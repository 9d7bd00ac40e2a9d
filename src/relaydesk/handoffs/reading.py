"""Reading handoffs: one, a session's latest escalation, the queue and the header counts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput
from relaydesk.handoffs import common, policy
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffDetail, HandoffOut, QueueItem
from relaydesk.live.models import Event
from relaydesk.notifications.models import Notification
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session, Step


async def _names(uow: UnitOfWork, ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(await uow.rows(select(User.id, User.name).where(User.id.in_(wanted))))


async def _out(uow: UnitOfWork, handoff: Handoff, cls: type[HandoffOut] = HandoffOut) -> Any:
    names = await _names(uow, {handoff.created_by_id, handoff.target_user_id, handoff.claimed_by_id})
    base = cls.model_validate(handoff)
    return base.model_copy(
        update={
            "created_by_name": names.get(handoff.created_by_id),
            "target_user_name": names.get(handoff.target_user_id),
            "claimed_by_name": names.get(handoff.claimed_by_id),
        }
    )


async def handoff_out(uow: UnitOfWork, handoff: Handoff) -> HandoffOut:
    return await _out(uow, handoff)


async def get_handoff(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> HandoffDetail:
    return await _out(uow, await common.load(uow, actor, handoff_id), HandoffDetail)


async def latest_escalation(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> HandoffDetail | None:
    """The session's most recent escalation, for the pickup screen and the workspace."""
    session = await sessions.get_session(uow, actor, session_id)
    handoff = await uow.scalar(
        select(Handoff)
        .where(Handoff.session_id == session.id, Handoff.intent == "escalate")
        .order_by(Handoff.created_at.desc())
        .limit(1)
    )
    return await _out(uow, handoff, HandoffDetail) if handoff else None


async def header_counts(uow: UnitOfWork, actor: Actor) -> tuple[int | None, int, int]:
    """(open escalations I could take — None for viewers, unread bell items, the account's last
    event seq) in one round trip, for the header of every page."""
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    last_seq = select(func.coalesce(func.max(Event.seq), 0)).where(Event.account_id == actor.account_id)
    waiting = (
        select(func.count())
        .select_from(Handoff)
        .where(*policy.waiting_for_clause(actor), Handoff.status == "open")
        .scalar_subquery()
        if actor.at_least("engineer")
        else None
    )
    columns = [unread, last_seq.scalar_subquery()] + ([waiting] if waiting is not None else [])
    row = (await uow.result(select(*columns))).one()
    return (row[2] if waiting is not None else None), row[0] or 0, row[1] or 0


# Triage order: most urgent first (sessions.schemas Priority), then longest waiting.
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


async def queue(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str = "open",
    priority: str | None = None,
    target: str | None = None,
    client: str | None = None,
    mine: bool = False,
    only: uuid.UUID | None = None,
    triage: bool = False,
    limit: int = 200,
) -> list[QueueItem]:
    """Open escalations the caller could pick up: never their own, oldest first — or, with `triage`,
    by priority then longest waiting (the queue page). `mine`: the ones the caller claimed; `only`:
    one row, if the caller's queue holds it (the live page's fragment)."""
    rank = case(PRIORITY_RANK, value=Session.priority, else_=len(PRIORITY_RANK))
    order = (rank, Handoff.created_at, Handoff.id) if triage else (Handoff.created_at, Handoff.id)
    escalator, claimer = aliased(User), aliased(User)
    step_count = (
        select(func.count()).where(Step.session_id == Handoff.session_id).correlate(Handoff).scalar_subquery()
    )
    query = (
        select(Handoff, Session, escalator.name, claimer.name, step_count)
        .join(Session, Session.id == Handoff.session_id)
        .join(escalator, escalator.id == Handoff.created_by_id)
        .outerjoin(claimer, claimer.id == Handoff.claimed_by_id)
        .where(*policy.waiting_for_clause(actor), Handoff.status == status)
        .order_by(*order)
        .limit(limit)
    )
    if mine or (not policy.reads_account(actor) and status != "open"):
        query = query.where(Handoff.claimed_by_id == actor.user_id)
    if priority:
        query = query.where(Session.priority == priority)
    if client:
        query = query.where(func.lower(Session.client_name) == client.strip().lower())
    if only is not None:
        query = query.where(Handoff.id == only)
    if target == "me":
        query = query.where(Handoff.target_user_id == actor.user_id)
    elif target == "team":
        query = query.where(Handoff.target_user_id.is_(None))
    elif target:
        try:
            query = query.where(Handoff.target_user_id == uuid.UUID(target))
        except ValueError as exc:
            raise BadInput("target must be 'me', 'team' or a user id.") from exc
    return [
        QueueItem(
            id=h.id,
            session_id=s.id,
            problem_summary=s.problem_summary,
            client_name=s.client_name,
            ticket_id=s.ticket_id,
            priority=s.priority,
            created_by_id=h.created_by_id,
            created_by_name=name,
            target_user_id=h.target_user_id,
            reason=h.reason,
            created_at=h.created_at,
            step_count=count,
            summary_state=h.summary_state,
            status=h.status,
            claimed_by_name=claimed,
        )
        for h, s, name, claimed, count in await uow.rows(query)
    ]
