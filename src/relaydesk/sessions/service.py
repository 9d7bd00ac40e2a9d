"""The rules of troubleshooting sessions and steps."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import service as deliveries
from relaydesk.errors import Conflict, NotFound, NotPermitted
from relaydesk.handoffs import first_action, policy
from relaydesk.live.service import append_event
from relaydesk.redaction import redact, redact_optional
from relaydesk.sessions import secrets
from relaydesk.sessions.access import readers_payload, visible_to
from relaydesk.sessions.hooks import StepChange, step_changed
from relaydesk.sessions.models import Session, Step
from relaydesk.sessions.schemas import (
    ResolveIn,
    SessionCreate,
    SessionDetail,
    SessionOut,
    StepCreate,
    StepOut,
)

# Domains above sessions (feedback) act on a resolve, in its transaction, without sessions importing
# them (imports go one way); the composition root (app.py) registers them.
ResolveHook = Callable[[UnitOfWork, Actor, Session], Awaitable[None]]
_resolve_hooks: list[ResolveHook] = []


def on_resolve(hook: ResolveHook) -> None:
    if hook not in _resolve_hooks:
        _resolve_hooks.append(hook)


async def get_session(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, *, for_update: bool = False
) -> Session:
    query = select(Session).where(Session.id == session_id, visible_to(actor))
    if for_update:
        query = query.with_for_update()
    session = await uow.scalar(query)
    if session is None:
        raise NotFound("No such session, or it is not visible to you.")
    return session


async def can_work(uow: UnitOfWork, actor: Actor, session: Session) -> bool:
    """May `actor` add steps now (handoffs/policy.py, `Action.ADD_STEP`)."""
    return policy.may_work(actor, session, await policy.latest_escalation(uow, session.id))


def _refuse_step(actor: Actor, session: Session, state: policy.State) -> None:
    """Say why a step is refused, most specific reason first; whether is the policy's."""
    policy.require_worker(actor, "add steps")
    if state is policy.State.PARKED:
        raise Conflict("Steps can only be added to an active session. Resume it first.")
    if state is policy.State.RESOLVED:
        raise Conflict("Steps can only be added to an active session. It is resolved.")
    if state in (policy.State.ESCALATED, policy.State.RELEASED):
        raise NotPermitted(
            "While it waits in the queue only the engineer who escalated it can add findings; "
            "pick it up to work on it."
        )
    raise NotPermitted("Only the session's owner or assignee can add steps.")


async def create_session(uow: UnitOfWork, actor: Actor, session_in: SessionCreate) -> Session:
    policy.require_worker(actor, "open troubleshooting sessions")
    session = Session(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        owner_id=actor.user_id,
        status="active",
        **session_in.model_dump(),
    )
    uow.add(session)
    await uow.flush()
    return session


async def add_step(
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    step_in: StepCreate,
    *,
    secret_key: str | None = None,
) -> Step:
    """Add a step. With `secret_key`, every `[[secret:…]]` the technician marked is stored sealed."""
    session = await get_session(uow, actor, session_id, for_update=True)
    handoff = await policy.latest_escalation(uow, session.id)
    if not policy.allows(actor, policy.Action.ADD_STEP, session, handoff):
        _refuse_step(actor, session, policy.state_of(session, handoff))
    step = Step(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        session_id=session.id,
        author_id=actor.user_id,
        **step_in.model_dump(),
    )
    if secret_key is not None:
        step.action = secrets.seal_marks(step.action, secret_key) or ""
        step.result = secrets.seal_marks(step.result, secret_key)
    session.updated_at = datetime.now(UTC)
    uow.add(step)
    await uow.flush()
    # the claimer's first step after a claim is the handoff's first action, in this transaction
    await first_action.record(uow, session.id, actor.user_id, step.created_at)
    # Live to the others only while it is handed over (someone else has it open); a correction is
    # always an event, for the audit trail.
    if handoff is not None and handoff.status in ("open", "claimed"):
        await step_event(uow, actor, session, step, "added")
    await step_changed(uow, actor, session, step, "added")
    return step


async def step_event(
    uow: UnitOfWork,
    actor: Actor,
    session: Session,
    step: Step,
    change: StepChange,
    *,
    before: dict[str, str | None] | None = None,
) -> None:
    """`step.added`, `step.edited` or `step.deleted`, to whoever may read the session: the live
    timeline, pickup screen and queue row, and the audit trail. A correction carries who, when and
    the before and after (redacted: events are kept and broadcast; the step itself is the record)."""
    count = await uow.scalar(select(func.count()).select_from(Step).where(Step.session_id == session.id))
    payload: dict[str, object] = {"step_id": step.id, "by": actor.name, "step_count": count}
    if before is not None:
        payload["before"] = {k: redact_optional(v) for k, v in before.items()}
    if change == "edited":
        payload["after"] = {
            "action": redact(step.action),
            "result": redact_optional(step.result),
            "outcome": step.outcome,
        }
    await append_event(
        uow,
        account_id=actor.account_id,
        type=f"step.{change}",
        actor_id=actor.user_id,
        session_id=session.id,
        payload=payload | readers_payload(session),
    )


async def resolve_session(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, resolve_in: ResolveIn
) -> Session:
    session = await get_session(uow, actor, session_id, for_update=True)
    handoff = await policy.latest_escalation(uow, session.id)
    if not policy.allows(actor, policy.Action.RESOLVE, session, handoff):
        _refuse_resolve(actor, session, policy.state_of(session, handoff))
    now = datetime.now(UTC)
    session.status = "resolved"
    session.resolution = resolve_in.resolution
    session.resolved_at = now
    session.updated_at = now
    await uow.flush()
    # The PSA resolve note and `resolved` webhooks: rows committed with the resolution.
    await deliveries.enqueue_resolution(
        uow,
        account_id=actor.account_id,
        session_id=session.id,
        ticket_id=session.ticket_id,
        problem=session.problem_summary,
        resolved_by=actor.name,
        resolution=resolve_in.resolution,
    )
    for hook in _resolve_hooks:
        await hook(uow, actor, session)
    return session


def _refuse_resolve(actor: Actor, session: Session, state: policy.State) -> None:
    policy.require_worker(actor, "resolve the session")
    if state is policy.State.RESOLVED:
        raise Conflict("The session is already resolved.")
    if state in (policy.State.ESCALATED, policy.State.RELEASED):
        raise Conflict("The session is waiting in the escalation queue; withdraw the escalation first.")
    if state is policy.State.PARKED:
        raise Conflict("The session is parked; resume it first.")
    if state is policy.State.CLAIMED:
        raise NotPermitted("A teammate picked this up; it is theirs to resolve. Add a comment or a finding.")
    raise NotPermitted("Only the session's owner or assignee can resolve the session.")


async def list_sessions(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, mine: bool = False, limit: int = 200
) -> list[SessionOut]:
    query = select(Session).where(visible_to(actor))
    if mine:
        query = query.where(or_(Session.owner_id == actor.user_id, Session.assignee_id == actor.user_id))
    if status:
        query = query.where(Session.status == status)
    query = query.order_by(Session.updated_at.desc()).limit(limit)
    return await _with_names(uow, await uow.all(query))


async def _with_names(uow: UnitOfWork, sessions: list[Session]) -> list[SessionOut]:
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    counts = dict(
        await uow.rows(
            select(Step.session_id, func.count()).where(Step.session_id.in_(ids)).group_by(Step.session_id)
        )
    )
    user_ids = {s.owner_id for s in sessions} | {s.assignee_id for s in sessions if s.assignee_id}
    names = dict(await uow.rows(select(User.id, User.name).where(User.id.in_(user_ids))))
    return [
        SessionOut.model_validate(s).model_copy(
            update={
                "owner_name": names.get(s.owner_id),
                "assignee_name": names.get(s.assignee_id),
                "step_count": counts.get(s.id, 0),
            }
        )
        for s in sessions
    ]


async def list_steps(uow: UnitOfWork, session: Session) -> list[StepOut]:
    author = aliased(User)
    rows = await uow.rows(
        select(Step, author.name)
        .join(author, author.id == Step.author_id)
        .where(Step.session_id == session.id)
        .order_by(Step.created_at, Step.id)
    )
    return [StepOut.model_validate(step).model_copy(update={"author_name": name}) for step, name in rows]


async def session_detail(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> SessionDetail:
    session = await get_session(uow, actor, session_id)
    (out,) = await _with_names(uow, [session])
    return SessionDetail(**out.model_dump(), steps=await list_steps(uow, session))
