"""Claim and release: exactly one winner (invariant 3), and giving a claimed escalation back."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import service as deliveries
from relaydesk.errors import Conflict, NotFound, NotPermitted
from relaydesk.handoffs import common, policy
from relaydesk.handoffs.common import TITLE_PROBLEM_CHARS, escalation_title, pickup_link
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.policy import RELEASE_COOLDOWN
from relaydesk.live.service import append_event
from relaydesk.notifications import service as notifications
from relaydesk.sessions.models import Session


async def claim(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """Take an open escalation. Exactly one of any number of concurrent claimers wins (invariant 3)."""
    policy.require_worker(actor, "pick up escalations")
    now = common.now()
    # One conditional UPDATE: the row lock serialises racers, and each loser re-checks
    # `status = 'open'` against the winner's committed row and matches nothing.
    claimed = await uow.scalar(
        update(Handoff)
        .where(Handoff.id == handoff_id, *policy.claimable_clause(actor, now))
        .values(
            status="claimed",
            claimed_by_id=actor.user_id,
            claimed_at=now,
            first_claimed_at=func.coalesce(Handoff.first_claimed_at, now),
            first_action_at=None,  # this claim's first action is still to come
            updated_at=now,
        )
        .returning(Handoff)
    )
    if claimed is None:
        await _refuse_claim(uow, actor, handoff_id, now)
    handoff: Handoff = claimed
    await uow.refresh(handoff)
    session = await uow.get(Session, handoff.session_id, with_for_update=True)
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
        raise Conflict(await common.not_open_message(uow, handoff), **await common.claim_facts(uow, handoff))
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
    policy.require_worker(actor, "release escalations")
    handoff = await common.load(uow, actor, handoff_id, for_update=True)
    session = await uow.get(Session, handoff.session_id, with_for_update=True)
    assert session is not None
    latest = await policy.latest_escalation(uow, session.id)
    if (
        latest is None
        or latest.id != handoff.id
        or not policy.allows(actor, policy.Action.RELEASE, session, handoff)
    ):
        if handoff.status != "claimed" or (latest is not None and latest.id != handoff.id):
            raise Conflict("Only a claimed escalation can be released.")
        if session.status != "active":
            raise Conflict(f"The session is {session.status}; only one being worked can be released.")
        raise NotPermitted("Only whoever picked it up, or an admin, can release it.")
    now = common.now()
    handoff.status, handoff.released_by_id, handoff.released_at = "open", actor.user_id, now
    handoff.release_count += 1
    handoff.release_reason = reason
    # Back to open for everyone: a targeted escalation that was released goes to the team.
    handoff.claimed_by_id, handoff.claimed_at, handoff.target_user_id = None, None, None
    handoff.first_action_at = None  # the next claim's first action is the next claimer's
    session.status, session.assignee_id, session.updated_at = "escalated", None, now
    escalator = await uow.scalar(select(User.name).where(User.id == handoff.created_by_id)) or "a teammate"
    await append_event(
        uow,
        account_id=actor.account_id,
        type="handoff.released",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id,
        payload=common.queue_payload(handoff, session, escalator)
        | {"released_by": actor.name, "release_reason": reason, "release_count": handoff.release_count},
    )
    await notifications.notify(
        uow,
        account_id=actor.account_id,
        # not the escalator, and not the releaser, who may not take it back for a while
        user_ids=await common.teammates(
            uow, actor.account_id, exclude={handoff.created_by_id, actor.user_id}
        ),
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
