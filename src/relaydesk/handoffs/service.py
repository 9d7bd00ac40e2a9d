"""The rules of handoffs: escalate, park, resume, withdraw, claim, release, the queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.orm import aliased

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import service as deliveries
from relaydesk.errors import BadInput, Conflict, NotFound, NotPermitted
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffCreate, HandoffDetail, HandoffOut, QueueItem
from relaydesk.live.models import Event
from relaydesk.live.service import append_event
from relaydesk.notifications import service as notifications
from relaydesk.notifications.models import Notification
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session, Step

# How long the releaser of a handoff must leave it to others before claiming it again.
RELEASE_COOLDOWN = timedelta(minutes=10)
TITLE_PROBLEM_CHARS = 70
WORKING_ROLES = ("engineer", "admin", "owner")


def _now() -> datetime:
    return datetime.now(UTC)


def pickup_link(session_id: uuid.UUID) -> str:
    return f"/sessions/{session_id}/pickup"


def escalation_title(escalator: str, ticket_id: str | None, problem: str) -> str:
    """`Escalation from Jane Doe · #12345: Outlook is failing to sync email…`"""
    problem = " ".join(problem.split())
    if len(problem) > TITLE_PROBLEM_CHARS:
        problem = problem[:TITLE_PROBLEM_CHARS].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    ticket = f" · #{ticket_id.lstrip('#')}" if ticket_id else ""
    return f"Escalation from {escalator}{ticket}: {problem}"


async def _snapshot(uow: UnitOfWork, session: Session, handoff_in: HandoffCreate) -> dict[str, Any]:
    steps = await sessions.list_steps(uow, session)
    return {
        "session_id": str(session.id),
        "problem_summary": session.problem_summary,
        "category": session.category,
        "client_name": session.client_name,
        "ticket_id": session.ticket_id,
        "priority": session.priority,
        "reason": handoff_in.reason,
        "notes": handoff_in.notes,
        "steps": [
            {
                "id": str(s.id),
                "action": s.action,
                "result": s.result,
                "outcome": s.outcome,
                "is_note": s.is_note,
                "author_id": str(s.author_id),
                "author": s.author_name,
                "at": s.created_at.isoformat(),
            }
            for s in steps
        ],
        "taken_at": _now().isoformat(),
    }


async def _teammates(
    uow: UnitOfWork, account_id: uuid.UUID, *, exclude: set[uuid.UUID], target: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Who hears of an escalation: engineers, admins and owners, not viewers, not removed users,
    not those excluded (the escalator); only the target when there is one."""
    query = select(User.id).where(
        User.account_id == account_id,
        User.deleted_at.is_(None),
        User.role.in_(WORKING_ROLES),
        User.id.not_in(exclude),
    )
    if target is not None:
        query = query.where(User.id == target)
    return list(await uow.session.scalars(query))


def _queue_payload(handoff: Handoff, session: Session, escalator: str) -> dict[str, Any]:
    """What a queue row needs, so live pages render it without another request."""
    return {
        "problem_summary": session.problem_summary,
        "client_name": session.client_name,
        "ticket_id": session.ticket_id,
        "priority": session.priority,
        "escalator": escalator,
        "escalator_id": handoff.created_by_id,
        "target_user_id": handoff.target_user_id,
        "reason": handoff.reason,
        "step_count": len(handoff.snapshot.get("steps", [])),
        "created_at": handoff.created_at,
        "link": pickup_link(session.id),
    }


async def _check_target(uow: UnitOfWork, actor: Actor, target: uuid.UUID) -> User:
    if target == actor.user_id:
        raise BadInput("You cannot hand a session to yourself; leave the teammate empty to ask the team.")
    user = await uow.scalar(
        select(User).where(User.id == target, User.account_id == actor.account_id, User.deleted_at.is_(None))
    )
    if user is None:
        raise BadInput("That teammate is not a member of your account.")
    if user.role not in WORKING_ROLES:
        raise BadInput(f"{user.name} is a viewer and cannot pick up escalations.")
    return user


async def create_handoff(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, handoff_in: HandoffCreate
) -> Handoff:
    """Escalate or park. Everything an escalation implies commits together (invariant 2)."""
    actor.require("engineer", "hand off sessions")
    session = await sessions.get_session(uow, actor, session_id, for_update=True)
    if actor.user_id not in (session.owner_id, session.assignee_id):
        raise NotPermitted("Only the session's owner or assignee can hand it off.")
    if session.status != "active":
        raise Conflict(f"Only an active session can be handed off; this one is {session.status}.")
    target = await _check_target(uow, actor, handoff_in.target_user_id) if handoff_in.target_user_id else None

    handoff = Handoff(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        session_id=session.id,
        intent=handoff_in.intent,
        created_by_id=actor.user_id,
        target_user_id=target.id if target else None,
        reason=handoff_in.reason,
        notes=handoff_in.notes,
        snapshot=await _snapshot(uow, session, handoff_in),
    )
    now = _now()
    session.updated_at = now
    if handoff_in.intent == "park":
        handoff.status, handoff.summary_state = "parked", "ready"
        session.status = "parked"
        uow.add(handoff)
        await uow.flush()
        # Parking is private: the event reaches only its owner.
        await append_event(
            uow,
            account_id=actor.account_id,
            type="session.parked",
            actor_id=actor.user_id,
            session_id=session.id,
            handoff_id=handoff.id,
            audience_user_id=actor.user_id,
            payload={"notes": handoff.notes},
        )
        return handoff

    handoff.status = "open"
    handoff.summary_state = "pending"  # the worker makes the summary after commit (summaries domain)
    await wake_workers(uow, "summaries")  # NOTIFY goes out at commit; a rollback sends nothing
    session.status = "escalated"
    uow.add(handoff)
    await uow.flush()
    await append_event(
        uow,
        account_id=actor.account_id,
        type="handoff.created",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id,
        payload=_queue_payload(handoff, session, actor.name),
    )
    await notifications.notify(
        uow,
        account_id=actor.account_id,
        user_ids=await _teammates(
            uow, actor.account_id, exclude={actor.user_id}, target=handoff.target_user_id
        ),
        kind="escalation",
        state="actionable",
        actor_id=actor.user_id,
        handoff_id=handoff.id,
        session_id=session.id,
        link=pickup_link(session.id),
        title=escalation_title(actor.name, session.ticket_id, session.problem_summary),
    )
    # Emails, chat posts, webhooks, the PSA note and the pickup-SLA reminder: rows in this transaction.
    await deliveries.enqueue_escalation(
        uow,
        account_id=actor.account_id,
        handoff_id=handoff.id,
        session_id=session.id,
        escalator_id=actor.user_id,
        escalator=actor.name,
        recipient_ids=await _teammates(
            uow, actor.account_id, exclude={actor.user_id}, target=handoff.target_user_id
        ),
        title=escalation_title(actor.name, session.ticket_id, session.problem_summary),
        link=pickup_link(session.id),
        snapshot=handoff.snapshot,
    )
    return handoff


async def resume(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> Session:
    session = await sessions.get_session(uow, actor, session_id, for_update=True)
    if actor.user_id not in (session.owner_id, session.assignee_id):
        raise NotPermitted("Only the session's owner can resume it.")
    if session.status != "parked":
        raise Conflict(f"Only a parked session can be resumed; this one is {session.status}.")
    session.status = "active"
    session.updated_at = _now()
    await uow.session.execute(
        update(Handoff)
        .where(Handoff.session_id == session.id, Handoff.status == "parked")
        .values(status="resumed", closed_at=_now())
    )
    await append_event(
        uow,
        account_id=actor.account_id,
        type="session.resumed",
        actor_id=actor.user_id,
        session_id=session.id,
        audience_user_id=actor.user_id,
    )
    await uow.flush()
    return session


async def _load(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, *, for_update: bool = False) -> Handoff:
    query = select(Handoff).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    if for_update:
        query = query.with_for_update()
    handoff = await uow.scalar(query)
    if handoff is None or not _may_read(actor, handoff):
        raise NotFound("No such handoff, or it is not visible to you.")
    return handoff


def _may_read(actor: Actor, handoff: Handoff) -> bool:
    if actor.is_manager or actor.user_id in (handoff.created_by_id, handoff.claimed_by_id):
        return True
    if handoff.intent == "park":
        return False
    # In transit: any engineer may open it (targeted ones: the target).
    return (
        handoff.status == "open"
        and actor.at_least("engineer")
        and (handoff.target_user_id in (None, actor.user_id))
    )


async def withdraw(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    handoff = await _load(uow, actor, handoff_id, for_update=True)
    if handoff.created_by_id != actor.user_id:
        raise NotPermitted("Only the engineer who escalated can withdraw it.")
    if handoff.status != "open":
        raise Conflict(await _not_open_message(uow, handoff), **await _claim_facts(uow, handoff))
    handoff.status, handoff.closed_at = "withdrawn", _now()
    session = await uow.session.get(Session, handoff.session_id, with_for_update=True)
    assert session is not None
    session.status, session.updated_at = "active", _now()
    await notifications.set_state_for_handoff(uow, handoff.id, kind="escalation", state="withdrawn")
    await deliveries.cancel_reminders(uow, handoff.id, state="withdrawn")
    await append_event(
        uow,
        account_id=actor.account_id,
        type="handoff.withdrawn",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id,
        payload={"by": actor.name, "target_user_id": handoff.target_user_id},
    )
    await uow.flush()
    return handoff


async def _claim_facts(uow: UnitOfWork, handoff: Handoff) -> dict[str, Any]:
    if handoff.claimed_by_id is None:
        return {}
    name = await uow.scalar(select(User.name).where(User.id == handoff.claimed_by_id))
    return {
        "claimed_by": name,
        "claimed_by_id": str(handoff.claimed_by_id),
        "claimed_at": handoff.claimed_at.isoformat() if handoff.claimed_at else None,
    }


async def _not_open_message(uow: UnitOfWork, handoff: Handoff) -> str:
    if handoff.status == "claimed":
        facts = await _claim_facts(uow, handoff)
        return f"{facts['claimed_by']} picked this up at {handoff.claimed_at:%H:%M:%S UTC}."
    return {
        "withdrawn": "The engineer withdrew this escalation.",
        "closed": "This escalation is closed.",
    }.get(handoff.status, f"This handoff is {handoff.status}.")


async def claim(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """Take an open escalation. Exactly one of any number of concurrent claimers wins (invariant 3)."""
    if not actor.at_least("engineer"):
        raise NotPermitted("Viewers cannot pick up escalations.")
    now = _now()
    # One conditional UPDATE: the row lock serialises racers, and each loser re-checks
    # `status = 'open'` against the winner's committed row and matches nothing.
    claimed = await uow.scalar(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.account_id == actor.account_id,
            Handoff.intent == "escalate",
            Handoff.status == "open",
            Handoff.created_by_id != actor.user_id,
            true()
            if actor.is_manager
            else or_(Handoff.target_user_id.is_(None), Handoff.target_user_id == actor.user_id),
            or_(
                Handoff.released_by_id.is_(None),
                Handoff.released_by_id != actor.user_id,
                Handoff.released_at < now - RELEASE_COOLDOWN,
            ),
        )
        .values(
            status="claimed",
            claimed_by_id=actor.user_id,
            claimed_at=now,
            first_claimed_at=func.coalesce(Handoff.first_claimed_at, now),
            updated_at=now,
        )
        .returning(Handoff)
    )
    if claimed is None:
        await _refuse_claim(uow, actor, handoff_id, now)
    handoff: Handoff = claimed
    await uow.session.refresh(handoff)
    session = await uow.session.get(Session, handoff.session_id, with_for_update=True)
    assert session is not None
    session.assignee_id, session.status, session.updated_at = actor.user_id, "active", now
    await notifications.set_state_for_handoff(uow, handoff.id, kind="escalation", state="taken")
    await deliveries.cancel_reminders(uow, handoff.id, state="taken")
    await append_event(
        uow,
        account_id=actor.account_id,
        type="handoff.claimed",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id,
        payload={
            "claimed_by": actor.name,
            "claimed_by_id": actor.user_id,
            "claimed_at": now,
            "target_user_id": handoff.target_user_id,
        },
    )
    await notifications.notify(
        uow,
        account_id=actor.account_id,
        user_ids=[handoff.created_by_id],
        kind="claimed",
        actor_id=actor.user_id,
        handoff_id=handoff.id,
        session_id=session.id,
        link=f"/sessions/{session.id}",
        title=f"{actor.name} picked up your escalation: {session.problem_summary[:TITLE_PROBLEM_CHARS]}",
    )
    await uow.flush()
    return handoff


async def _refuse_claim(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, now: datetime) -> None:
    """Say why a claim matched nothing, most specific reason first."""
    handoff = await uow.scalar(
        select(Handoff).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if handoff is None or handoff.intent != "escalate":
        raise NotFound("No such escalation, or it is not visible to you.")
    if handoff.created_by_id == actor.user_id:
        raise NotPermitted("You escalated this yourself; a teammate has to pick it up.")
    if handoff.status != "open":
        raise Conflict(await _not_open_message(uow, handoff), **await _claim_facts(uow, handoff))
    if handoff.target_user_id not in (None, actor.user_id) and not actor.is_manager:
        raise NotPermitted("This escalation was sent to a specific teammate.")
    if (
        handoff.released_by_id == actor.user_id
        and handoff.released_at
        and handoff.released_at >= now - RELEASE_COOLDOWN
    ):
        wait = int((handoff.released_at + RELEASE_COOLDOWN - now).total_seconds() // 60) + 1
        raise Conflict(f"You released this escalation; leave it to a teammate for {wait} more min.")
    raise Conflict("This escalation could not be claimed; reload and try again.")


async def release(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, reason: str) -> Handoff:
    handoff = await _load(uow, actor, handoff_id, for_update=True)
    if handoff.status != "claimed":
        raise Conflict("Only a claimed escalation can be released.")
    if handoff.claimed_by_id != actor.user_id and not actor.is_manager:
        raise NotPermitted("Only whoever picked it up, or an admin, can release it.")
    now = _now()
    handoff.status, handoff.released_by_id, handoff.released_at = "open", actor.user_id, now
    handoff.release_count += 1
    handoff.release_reason = reason
    # Back to open for everyone: a targeted escalation that was released goes to the team.
    handoff.claimed_by_id, handoff.claimed_at, handoff.target_user_id = None, None, None
    session = await uow.session.get(Session, handoff.session_id, with_for_update=True)
    assert session is not None
    session.status, session.assignee_id, session.updated_at = "escalated", None, now
    escalator = await uow.scalar(select(User.name).where(User.id == handoff.created_by_id)) or "a teammate"
    await append_event(
        uow,
        account_id=actor.account_id,
        type="handoff.released",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id,
        payload=_queue_payload(handoff, session, escalator)
        | {"released_by": actor.name, "release_reason": reason, "release_count": handoff.release_count},
    )
    await notifications.notify(
        uow,
        account_id=actor.account_id,
        # not the escalator, and not the releaser, who may not take it back for a while
        user_ids=await _teammates(uow, actor.account_id, exclude={handoff.created_by_id, actor.user_id}),
        kind="escalation",
        state="actionable",
        actor_id=actor.user_id,
        handoff_id=handoff.id,
        session_id=session.id,
        link=pickup_link(session.id),
        title="Released again · " + escalation_title(escalator, session.ticket_id, session.problem_summary),
    )
    await uow.flush()
    return handoff


# --- reading ---------------------------------------------------------------------------------


async def _names(uow: UnitOfWork, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
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
    return await _out(uow, await _load(uow, actor, handoff_id), HandoffDetail)


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


def waiting_for(actor: Actor) -> list[Any]:
    """The escalations `actor` could pick up: open, of their account, not their own; a targeted
    one only for its target (admins and owners see all). The queue and the header count share it."""
    rule = [
        Handoff.account_id == actor.account_id,
        Handoff.intent == "escalate",
        Handoff.created_by_id != actor.user_id,
    ]
    if not actor.is_manager:
        rule.append(or_(Handoff.target_user_id.is_(None), Handoff.target_user_id == actor.user_id))
    return rule


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
        .where(*waiting_for(actor), Handoff.status == "open")
        .scalar_subquery()
        if actor.at_least("engineer")
        else None
    )
    columns = [unread, last_seq.scalar_subquery()] + ([waiting] if waiting is not None else [])
    row = (await uow.session.execute(select(*columns))).one()
    return (row[2] if waiting is not None else None), row[0] or 0, row[1] or 0


async def queue(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str = "open",
    priority: str | None = None,
    target: str | None = None,
    limit: int = 200,
) -> list[QueueItem]:
    """Open escalations the caller could pick up: never their own, oldest first."""
    escalator, claimer = aliased(User), aliased(User)
    step_count = (
        select(func.count()).where(Step.session_id == Handoff.session_id).correlate(Handoff).scalar_subquery()
    )
    query = (
        select(Handoff, Session, escalator.name, claimer.name, step_count)
        .join(Session, Session.id == Handoff.session_id)
        .join(escalator, escalator.id == Handoff.created_by_id)
        .outerjoin(claimer, claimer.id == Handoff.claimed_by_id)
        .where(*waiting_for(actor), Handoff.status == status)
        .order_by(Handoff.created_at, Handoff.id)
        .limit(limit)
    )
    if not actor.is_manager and status != "open":
        query = query.where(Handoff.claimed_by_id == actor.user_id)
    if priority:
        query = query.where(Session.priority == priority)
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
