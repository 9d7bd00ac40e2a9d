"""Escalate, park, resume and withdraw: handing a session off and taking the hand-off back."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import service as deliveries
from relaydesk.errors import BadInput, Conflict, NotPermitted
from relaydesk.handoffs import common, policy
from relaydesk.handoffs.common import WORKING_ROLES, escalation_title, pickup_link
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.handoffs.snapshot import HandoffSnapshot, SnapshotStep
from relaydesk.live.service import append_event
from relaydesk.notifications import service as notifications
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session


async def _snapshot(uow: UnitOfWork, session: Session, handoff_in: HandoffCreate) -> dict[str, Any]:
    steps = await sessions.list_steps(uow, session)
    return HandoffSnapshot(
        session_id=session.id,
        problem_summary=session.problem_summary,
        category=session.category,
        client_name=session.client_name,
        ticket_id=session.ticket_id,
        priority=session.priority,
        reason=handoff_in.reason,
        notes=handoff_in.notes,
        steps=[
            SnapshotStep(
                id=s.id,
                action=s.action,
                result=s.result,
                outcome=s.outcome,
                is_note=s.is_note,
                author_id=s.author_id,
                author=s.author_name,
                at=s.created_at,
            )
            for s in steps
        ],
        taken_at=common.now(),
    ).stored()


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
    policy.require_worker(actor, "hand off sessions")
    session = await sessions.get_session(uow, actor, session_id, for_update=True)
    latest = await policy.latest_escalation(uow, session.id)
    action = policy.Action.PARK if handoff_in.intent == "park" else policy.Action.ESCALATE
    if not policy.allows(actor, action, session, latest):
        state = policy.state_of(session, latest)
        if state is policy.State.CLAIMED and session.owner_id == actor.user_id:
            raise NotPermitted(
                "A teammate picked this up; it is theirs now. You can still comment and add findings."
            )
        if not policy.holds(actor, session):
            raise NotPermitted("Only the session's owner or assignee can hand it off.")
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
    now = common.now()
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
        payload=common.queue_payload(handoff, session, actor.name),
    )
    await notifications.notify(
        uow,
        account_id=actor.account_id,
        user_ids=await common.teammates(
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
        recipient_ids=await common.teammates(
            uow, actor.account_id, exclude={actor.user_id}, target=handoff.target_user_id
        ),
        title=escalation_title(actor.name, session.ticket_id, session.problem_summary),
        link=pickup_link(session.id),
        snapshot=handoff.snapshot,
    )
    return handoff


async def resume(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> Session:
    policy.require_worker(actor, "resume sessions")
    session = await sessions.get_session(uow, actor, session_id, for_update=True)
    if not policy.may_resume(actor, session, await policy.latest_escalation(uow, session.id)):
        if not policy.holds(actor, session):
            raise NotPermitted("Only the session's owner can resume it.")
        raise Conflict(f"Only a parked session can be resumed; this one is {session.status}.")
    session.status = "active"
    session.updated_at = common.now()
    await uow.result(
        update(Handoff)
        .where(Handoff.session_id == session.id, Handoff.status == "parked")
        .values(status="resumed", closed_at=common.now())
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


async def withdraw(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    policy.require_worker(actor, "withdraw escalations")
    handoff = await common.load(uow, actor, handoff_id, for_update=True)
    if not policy.may_withdraw(actor, handoff):
        if handoff.created_by_id != actor.user_id:
            raise NotPermitted("Only the engineer who escalated can withdraw it.")
        raise Conflict(await common.not_open_message(uow, handoff), **await common.claim_facts(uow, handoff))
    handoff.status, handoff.closed_at = "withdrawn", common.now()
    session = await uow.get(Session, handoff.session_id, with_for_update=True)
    assert session is not None
    session.status, session.updated_at = "active", common.now()
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
